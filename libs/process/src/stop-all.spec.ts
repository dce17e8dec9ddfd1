import { join } from 'node:path';
import { launch } from './launch';
import type { LaunchedProcess } from './launched-process';

/**
 * Ctrl-C in a terminal sends SIGINT to the whole foreground process group. These tests start a
 * supervisor shaped like `verdict dev` in a group of its own and signal that whole group, as a
 * terminal would.
 */
describe('stopAll with children started detached', () => {
  let supervisor: LaunchedProcess | undefined;
  afterEach(async () => {
    await supervisor?.kill();
    supervisor = undefined;
  });

  const start = (children: number, drainMs: number) =>
    launch({
      name: 'supervisor',
      entry: join(__dirname, 'testing', 'supervisor-fixture.ts'),
      args: [String(children), String(drainMs)],
      detached: true,
      ready: { line: (line) => line === 'supervisor ready', timeoutMs: 60_000 },
    });
  const linesOf = (launched: LaunchedProcess, child: string) =>
    launched.lines.filter((line) => line.startsWith(`${child}| `));

  it('drains every child once when the whole group gets SIGINT', async () => {
    supervisor = await start(3, 200);
    process.kill(-supervisor.pid, 'SIGINT');
    expect(await supervisor.exited).toEqual({ code: 0, signal: null });
    for (const child of ['service-0', 'service-1', 'service-2']) {
      expect(linesOf(supervisor, child)).toEqual([
        `${child}| {"level":"info","msg":"ready"}`,
        `${child}| {"level":"info","reason":"SIGTERM","msg":"shutting down"}`,
      ]);
      expect(supervisor.lines).toContain(`${child} exited 0`);
    }
    expect(supervisor.lines.join('\n')).not.toContain('second signal');
  });

  it('forces the children out on a second SIGINT while they drain', async () => {
    supervisor = await start(2, 600_000);
    process.kill(-supervisor.pid, 'SIGINT');
    // The second Ctrl-C comes once both are draining.
    await new Promise<void>((resolve) => {
      const draining = () =>
        ['service-0', 'service-1'].every((child) => linesOf(supervisor!, child).length === 2);
      if (draining()) return resolve();
      const unsubscribe = supervisor!.onLine(() => {
        if (draining()) {
          unsubscribe();
          resolve();
        }
      });
    });
    process.kill(-supervisor.pid, 'SIGINT');
    expect(await supervisor.exited).toEqual({ code: 0, signal: null });
    for (const child of ['service-0', 'service-1']) {
      expect(linesOf(supervisor, child)[2]).toBe(
        `${child}| {"level":"warn","reason":"SIGTERM","msg":"second signal while draining; exiting now"}`,
      );
      expect(supervisor.lines).toContain(`${child} exited 1`);
    }
  });
});
