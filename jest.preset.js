/**
 * The one jest configuration every package uses (`"jest": { "preset": "../../jest.preset.js" }`
 * in its package.json, plus only what differs there: timeouts, worker counts).
 *
 * A library's `@verdict/<name>` and each subpath of its package `exports` map (`@verdict/store/contract`,
 * `@verdict/grpc-kit/testing`) resolve to the package's TypeScript sources, so a test runs
 * against the code beside it, never a stale build. The map is read from the workspace's
 * package.json files, so a new package or entry point needs no change here.
 */
const { readdirSync, readFileSync, existsSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = __dirname;
const WORKSPACE_DIRS = ['libs', 'apps'];

/** `./dist/contract/index.js` -> `<root>/libs/store/src/contract/index.ts`. */
function sourceOf(packageDir, target) {
  const file = typeof target === 'string' ? target : (target.default ?? target.require);
  return join(packageDir, file.replace(/^\.\/dist\//, 'src/').replace(/\.js$/, '.ts'));
}

function workspaceModules() {
  const mapper = {};
  for (const group of WORKSPACE_DIRS) {
    for (const entry of readdirSync(join(ROOT, group))) {
      const packageDir = join(ROOT, group, entry);
      const manifest = join(packageDir, 'package.json');
      if (!existsSync(manifest)) continue;
      const { name, exports } = JSON.parse(readFileSync(manifest, 'utf8'));
      if (!name?.startsWith('@verdict/') || exports === undefined) continue;
      for (const [subpath, target] of Object.entries(exports)) {
        // An app's root is its compiled main (started as a process, e.g. by require.resolve
        // in the dev stack), never loaded into a test: only its subpaths map to sources.
        if (group === 'apps' && subpath === '.') continue;
        const specifier = subpath === '.' ? name : `${name}/${subpath.slice(2)}`;
        mapper[`^${specifier.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`] = sourceOf(
          packageDir,
          target,
        );
      }
    }
  }
  return mapper;
}

module.exports = {
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { tsconfig: '<rootDir>/tsconfig.json' }],
  },
  moduleNameMapper: workspaceModules(),
};
