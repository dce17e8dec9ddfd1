import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const protoDir = resolve(__dirname, '../../../proto');
const bufLauncher = require.resolve('@bufbuild/buf/bin/buf');
const bufTimeoutMs = 30_000;

function bufLint(cwd: string): { status: number | null; output: string } {
  const result = spawnSync(process.execPath, [bufLauncher, 'lint'], { cwd, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('buf lint', () => {
  it(
    'passes on proto/',
    () => {
      const { status, output } = bufLint(protoDir);
      expect(output).toBe('');
      expect(status).toBe(0);
    },
    bufTimeoutMs,
  );

  it(
    'holds verdict packages to STANDARD while the third-party folders keep their published names',
    () => {
      const scratch = mkdtempSync(join(tmpdir(), 'verdict-lint-'));
      try {
        cpSync(protoDir, scratch, { recursive: true });
        mkdirSync(join(scratch, 'verdict/sample/v1'), { recursive: true });
        writeFileSync(
          join(scratch, 'verdict/sample/v1/sample.proto'),
          'syntax = "proto3";\npackage verdict.sample.v1;\nenum Color { RED = 0; }\n',
        );
        writeFileSync(
          join(scratch, 'inference/sample.proto'),
          'syntax = "proto3";\npackage inference;\nenum Color { RED = 0; }\n',
        );
        const { status, output } = bufLint(scratch);
        expect(status).not.toBe(0);
        expect(output).toContain('verdict/sample/v1/sample.proto');
        expect(output).not.toContain('inference/');
      } finally {
        rmSync(scratch, { recursive: true, force: true });
      }
    },
    bufTimeoutMs,
  );
});
