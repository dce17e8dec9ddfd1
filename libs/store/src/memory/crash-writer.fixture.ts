import { openMemoryStore } from './memory-store';

/**
 * Child process of the crash test: appends to a stream and increments a counter without end,
 * printing each operation once its promise has resolved (stdout to a pipe is synchronous on
 * Linux, so a printed line has left the process before any SIGKILL).
 * Usage: crash-writer.fixture.ts <log file>
 */
async function main(): Promise<void> {
  const store = await openMemoryStore({ file: process.argv[2]! });
  process.stdout.write('ready\n');
  for (let round = 0; ; round++) {
    // Several operations per round, so that group commit writes them together.
    const operations: Promise<void>[] = [];
    for (let i = 0; i < 8; i++) {
      const event = `event-${round}-${i}`;
      operations.push(
        store
          .append('events', Buffer.from(event))
          .then((offset) => print(`append ${offset} ${event}`)),
      );
      operations.push(store.incrementBy('count', 1).then((count) => print(`count ${count}`)));
    }
    await Promise.all(operations);
  }
}

function print(line: string): void {
  process.stdout.write(`${line}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
