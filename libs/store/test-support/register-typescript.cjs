// Lets a plain `node` child process run this package's TypeScript sources, for tests that must
// kill a real process (jest cannot transform what a child process loads): `.ts` files are
// transpiled on require, and `@verdict/<lib>` resolves to the lib's source as in jest's
// moduleNameMapper. Usage: node --require ./test-support/register-typescript.cjs file.ts
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const Module = require('node:module');
const ts = require('typescript');

const libs = path.resolve(__dirname, '..', '..');
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (request, ...rest) {
  const lib = /^@verdict\/([a-z-]+)$/.exec(request);
  return resolveFilename.call(
    this,
    lib ? path.join(libs, lib[1], 'src', 'index.ts') : request,
    ...rest,
  );
};

require.extensions['.ts'] = (module, filename) => {
  const { outputText } = ts.transpileModule(fs.readFileSync(filename, 'utf8'), {
    fileName: filename,
    compilerOptions: {
      module: ts.ModuleKind.CommonJS,
      target: ts.ScriptTarget.ES2022,
      esModuleInterop: true,
    },
  });
  module._compile(outputText, filename);
};
