import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const PACKAGE_DIR = resolve(__dirname, '..');
const FIXTURE = join(__dirname, 'testing/rejection-fixture.ts');

function runFixture(...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', FIXTURE, ...args], {
    cwd: PACKAGE_DIR,
    encoding: 'utf8',
    timeout: 60_000,
  });
  const lines = run.stdout.split('\n').filter((line) => line.trim() !== '');
  return { status: run.status, stderr: run.stderr, lines };
}

describe('guardUnhandledRejections (real child processes)', () => {
  it('without the guard, an unhandled rejection ends the process', () => {
    const run = runFixture();
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('nobody handles this');
    expect(run.lines).toEqual([]);
  });

  it('with the guard, the process logs the rejection, counts it and keeps running', () => {
    const run = runFixture('guarded');
    expect(run.status).toBe(0);
    const log = run.lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    const entry = log.find(
      (line) => typeof line.msg === 'string' && line.msg.includes('unhandled'),
    );
    expect(entry).toBeDefined();
    expect(JSON.stringify(entry!.err)).toContain('nobody handles this');
    const report = log.find((line) => line.alive === true)!;
    expect(report.count).toBe(1);
    expect(report.metrics).toContain(
      'process_unhandled_rejections_total{service="rejection-fixture"} 1',
    );
  });
});
