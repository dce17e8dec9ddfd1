import { join } from 'node:path';
import { launch } from './launch';
import type { LaunchedProcess } from './launched-process';

const fixture = (name: string) => join(__dirname, 'testing', name);

describe('launch', () => {
  let started: LaunchedProcess | undefined;
  afterEach(async () => {
    await started?.kill();
    started = undefined;
  });

  it('runs a TypeScript entry under tsx, reads its lines and waits for its ready line', async () => {
    const lines: string[] = [];
    started = await launch({
      name: 'drain',
      entry: fixture('drain-fixture.ts'),
      args: ['0'],
      onLine: (line) => lines.push(line),
      ready: { line: (line) => line.includes('"msg":"ready"') },
    });
    expect(started.running()).toBe(true);
    expect(lines).toEqual(['{"level":"info","msg":"ready"}']);
    expect(await started.stop()).toEqual({ code: 0, signal: null });
    expect(started.lines).toContain('{"level":"info","reason":"SIGTERM","msg":"shutting down"}');
  });

  it('names a child that exits before it is ready and quotes its last lines', async () => {
    await expect(
      launch({
        name: 'model-server',
        entry: fixture('exit-fixture.ts'),
        ready: { line: () => false },
      }),
    ).rejects.toThrow(
      /^model-server exited \(code 3\) before it was ready; its last lines:\n(starting\ncannot open the model repository|cannot open the model repository\nstarting)$/,
    );
  });

  it('reports a program that cannot be started', async () => {
    const launched = await launch({ name: 'nginx', executable: '/nonexistent/nginx' });
    const exit = await launched.exited;
    expect(exit.error?.message).toMatch(/ENOENT/);
    expect(launched.running()).toBe(false);
  });

  it('rejects a command with neither an entry nor an executable', async () => {
    await expect(launch({ name: 'nothing' })).rejects.toThrow(
      'a process command needs an entry or an executable',
    );
  });
});
