#!/usr/bin/env node
// Runs buf for libs/proto: `generate` rewrites src/gen from proto/, `check` regenerates into a
// temporary folder and fails, naming each file, when the committed src/gen differs from it.
//
//   node scripts/codegen.mjs generate
//   node scripts/codegen.mjs check [--gen-dir <folder to compare instead of src/gen>]
//
// buf resolves the plugin path and output folder of proto/buf.gen.yaml against the folder it
// runs in, so it always runs with proto/ as its working directory.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const libDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(libDir, '../..');
const protoDir = join(repoRoot, 'proto');
const committedGenDir = join(libDir, 'src', 'gen');
// Resolved from this package so that no PATH setup is needed; the launcher is a node script.
const bufLauncher = createRequire(import.meta.url).resolve('@bufbuild/buf/bin/buf');

function runBuf(args) {
  const result = spawnSync(process.execPath, [bufLauncher, ...args], {
    cwd: protoDir,
    stdio: 'inherit',
  });
  if (result.error) throw result.error;
  return result.status ?? 1;
}

function listFiles(root) {
  const files = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else files.push(relative(root, full).split('\\').join('/'));
    }
  };
  try {
    walk(root);
  } catch (error) {
    if (error.code !== 'ENOENT') throw error;
  }
  return files.sort();
}

/** Returns one line per differing file: "missing", "stale" (not generated any more) or "differs". */
function compareTrees(expectedDir, actualDir) {
  const expected = new Set(listFiles(expectedDir));
  const actual = new Set(listFiles(actualDir));
  const problems = [];
  for (const file of expected) {
    if (!actual.has(file)) problems.push(`missing: ${file}`);
    else if (!readFileSync(join(expectedDir, file)).equals(readFileSync(join(actualDir, file)))) {
      problems.push(`differs: ${file}`);
    }
  }
  for (const file of actual) if (!expected.has(file)) problems.push(`stale:   ${file}`);
  return problems;
}

function generate() {
  // buf.gen.yaml sets `clean: true`, so buf empties src/gen first and stale files disappear.
  return runBuf(['generate']);
}

function check(genDir) {
  const scratch = mkdtempSync(join(tmpdir(), 'verdict-proto-'));
  try {
    // `-o` is prefixed to the template's `out`; a base named like proto/ makes
    // `../libs/proto/src/gen` land at <scratch>/libs/proto/src/gen, mirroring the repository.
    const status = runBuf(['generate', '-o', join(scratch, 'proto')]);
    if (status !== 0) return status;
    const freshDir = join(scratch, 'libs', 'proto', 'src', 'gen');
    const problems = compareTrees(freshDir, genDir);
    if (problems.length === 0) {
      console.log(
        `${relative(repoRoot, genDir) || genDir} matches proto/ (${listFiles(freshDir).length} files).`,
      );
      return 0;
    }
    console.error(`Generated code is out of date with proto/ in ${genDir}:`);
    for (const line of problems) console.error(`  ${line}`);
    console.error('Run `npm run generate -w @verdict/proto` and commit the result.');
    return 1;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function main(argv) {
  const [command, ...rest] = argv;
  if (command === 'generate' && rest.length === 0) return generate();
  if (command === 'check') {
    if (rest.length === 0) return check(committedGenDir);
    if (rest.length === 2 && rest[0] === '--gen-dir') return check(resolve(rest[1]));
  }
  console.error('usage: codegen.mjs generate | check [--gen-dir <dir>]');
  return 2;
}

process.exitCode = main(process.argv.slice(2));
