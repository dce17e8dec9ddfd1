import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { Code, InvalidArgumentError } from '@verdict/errors';
import { inference } from '@verdict/proto';
import fc from 'fast-check';
import { forEachInputChunk, readInferParameter, readInferRequestHead } from './infer-request';
import { versionedRequest } from '../routing/versioned-request';

const variant = (version?: bigint, alias?: string) => ({
  name: 'v',
  pool: { name: 'p', region: '', endpoints: ['127.0.0.1:1'] },
  control: false,
  ...(version === undefined ? {} : { version }),
  ...(alias === undefined ? {} : { alias }),
});

const encode = (init: Parameters<typeof create<typeof inference.ModelInferRequestSchema>>[1]) =>
  Buffer.from(
    toBinary(inference.ModelInferRequestSchema, create(inference.ModelInferRequestSchema, init)),
  );

const parameterArb = fc.oneof(
  fc.record({ case: fc.constant('stringParam' as const), value: fc.string() }),
  fc.record({ case: fc.constant('boolParam' as const), value: fc.boolean() }),
  fc.record({
    case: fc.constant('int64Param' as const),
    value: fc.bigInt({ min: -(2n ** 52n), max: 2n ** 52n }),
  }),
  fc.record({ case: fc.constant('doubleParam' as const), value: fc.double({ noNaN: true }) }),
);

const requestArb = fc.record({
  modelName: fc.string({ minLength: 1 }),
  modelVersion: fc.string(),
  id: fc.string(),
  parameters: fc.dictionary(fc.string({ maxLength: 8 }), parameterArb, { maxKeys: 4 }),
  rawInputContents: fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 3 }),
  inputs: fc.array(
    fc.record({
      name: fc.string({ maxLength: 8 }),
      datatype: fc.constantFrom('FP32', 'INT64'),
      shape: fc.array(fc.bigInt({ min: 1n, max: 8n }), { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
});

describe('readInferRequestHead', () => {
  it('reads model_name, model_version and id exactly as protobuf-es encoded them', () => {
    fc.assert(
      fc.property(requestArb, (init) => {
        const head = readInferRequestHead(
          encode({
            ...init,
            parameters: Object.fromEntries(
              Object.entries(init.parameters).map(([k, v]) => [k, { parameterChoice: v }]),
            ),
          }),
        );
        expect(head).toEqual({
          modelName: init.modelName,
          modelVersion: init.modelVersion,
          id: init.id,
          hasParameters: Object.keys(init.parameters).length > 0,
        });
      }),
    );
  });

  it('refuses a request without model_name with INVALID_ARGUMENT naming the field', () => {
    const attempt = () => readInferRequestHead(encode({ id: 'r1' }));
    expect(attempt).toThrow(InvalidArgumentError);
    expect(attempt).toThrow(/^model_name: expected the name of a model, got an empty string$/);
  });

  it('refuses bytes that are not a protobuf message with INVALID_ARGUMENT on field request', () => {
    for (const garbage of [
      Buffer.from('this is not a protobuf message'),
      Buffer.from([0x0a, 0xff]),
      Buffer.from([0x0a, 0x05, 0x61]),
      Buffer.from([0x00, 0x01]),
    ]) {
      let caught: unknown;
      try {
        readInferRequestHead(garbage);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(InvalidArgumentError);
      expect((caught as InvalidArgumentError).code).toBe(Code.INVALID_ARGUMENT);
      expect((caught as InvalidArgumentError).field).toBe('request');
    }
  });

  it('never throws anything but InvalidArgumentError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        try {
          readInferRequestHead(Buffer.from(bytes));
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidArgumentError);
        }
      }),
    );
  });
});

describe('readInferParameter', () => {
  it('returns each parameter with its JavaScript value, undefined when absent', () => {
    fc.assert(
      fc.property(requestArb, fc.string({ maxLength: 8 }), (init, missing) => {
        const bytes = encode({
          modelName: 'm',
          parameters: Object.fromEntries(
            Object.entries(init.parameters).map(([k, v]) => [k, { parameterChoice: v }]),
          ),
        });
        for (const [name, parameter] of Object.entries(init.parameters)) {
          const expected =
            parameter.case === 'int64Param' ? Number(parameter.value) : parameter.value;
          expect(readInferParameter(bytes, name)).toEqual(expected);
        }
        if (!(missing in init.parameters)) {
          expect(readInferParameter(bytes, missing)).toBeUndefined();
        }
      }),
    );
  });
});

describe('versionedRequest', () => {
  it("sets the variant's version and changes nothing else when the bytes are decoded", () => {
    fc.assert(
      fc.property(requestArb, fc.bigInt({ min: 1n, max: 2n ** 64n - 1n }), (init, version) => {
        const original = encode({
          ...init,
          parameters: Object.fromEntries(
            Object.entries(init.parameters).map(([k, v]) => [k, { parameterChoice: v }]),
          ),
        });
        const changed = versionedRequest(original, variant(version), init.modelVersion);
        expect(changed.subarray(0, original.length).equals(original)).toBe(true);
        const before = fromBinary(inference.ModelInferRequestSchema, original);
        const after = fromBinary(inference.ModelInferRequestSchema, changed);
        expect(after).toEqual({ ...before, modelVersion: String(version) });
        expect(readInferRequestHead(changed).modelVersion).toBe(String(version));
      }),
    );
  });

  it('clears the version for an alias and leaves the bytes alone without version or alias', () => {
    const original = encode({ modelName: 'm', modelVersion: '7' });
    expect(
      fromBinary(
        inference.ModelInferRequestSchema,
        versionedRequest(original, variant(undefined, 'prod'), '7'),
      ).modelVersion,
    ).toBe('');
    expect(versionedRequest(original, variant(), '7')).toBe(original);
    const unversioned = encode({ modelName: 'm' });
    expect(versionedRequest(unversioned, variant(undefined, 'prod'), '')).toBe(unversioned);
  });
});

describe('forEachInputChunk', () => {
  it('visits inputs and raw_input_contents, not names or parameters', () => {
    const bytes = encode({
      modelName: 'm',
      id: 'x',
      rawInputContents: [new Uint8Array([1, 2, 3]), new Uint8Array([4])],
    });
    const chunks: number[][] = [];
    forEachInputChunk(bytes, (chunk) => chunks.push([...chunk]));
    expect(chunks).toEqual([[1, 2, 3], [4]]);
  });
});
