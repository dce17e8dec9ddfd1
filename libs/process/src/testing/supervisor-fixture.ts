/**
 * A parent shaped like `verdict dev`, for the launcher's signal tests: starts `argv[2]` drain
 * fixtures (each draining `argv[3]` ms) detached with an IPC channel, prints `supervisor ready`,
 * and on its first SIGINT or SIGTERM stops them all with `stopAll` (a later signal forces).
 * Prints each child's line as `<name>| <line>` and its exit as `<name> exited <code|signal>`.
 * Run with `node --import tsx`.
 */
import { join } from 'node:path';
import { launch } from '../launch';
import { stopAll } from '../stop-all';

const count = Number(process.argv[2] ?? '2');
const drainMs = process.argv[3] ?? '0';

async function main(): Promise<void> {
  let stopRequested: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (stopRequested = resolve));
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => stopRequested());
  const children = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      launch({
        name: `service-${index}`,
        entry: join(__dirname, 'drain-fixture.ts'),
        args: [drainMs],
        ipc: true,
        detached: true,
        onLine: (line) => process.stdout.write(`service-${index}| ${line}\n`),
        ready: { line: (line) => line.includes('"msg":"ready"') },
      }),
    ),
  );
  process.stdout.write('supervisor ready\n');
  await stopped;
  const exits = await stopAll(children, { forceOn: ['SIGINT', 'SIGTERM'] });
  exits.forEach((exit, index) =>
    process.stdout.write(`service-${index} exited ${exit.signal ?? exit.code}\n`),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exitCode = 1;
});
