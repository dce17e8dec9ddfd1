// Jest's node environment gives each test file its own realm, with its own Float32Array.
// onnxruntime-node's native binding creates output arrays in Node's main realm, and
// onnxruntime-common's Tensor checks them with `instanceof`, which then fails ("A float32
// tensor's data must be type of function Float32Array()"). Sharing the host's typed array
// constructors with the test realm makes both sides agree. Use it with
// "testEnvironment": "<rootDir>/../../libs/model-zoo/testing/onnxruntime-environment.js".
'use strict';

const { TestEnvironment } = require('jest-environment-node');

const SHARED_GLOBALS = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxruntimeEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED_GLOBALS) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxruntimeEnvironment;
