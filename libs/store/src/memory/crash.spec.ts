import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openMemoryStore } from './memory-store';

/** Acknowledged operations to wait for before killing the writer: enough to be mid-run. */
const ACKNOWLEDGED_BEFORE_KILL = 400;
/** Bound on the whole child run; a failure, not a measured duration. */
const CHILD_TIMEOUT_MS = 20_000;

let directory: string;

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'verdict-crash-'));
});

afterEach(async () => {
  await rm(directory, { recursive: true, force: true });
});

it(
  'keeps every acknowledged operation when the writing process is killed mid-run',
  async () => {
    const file = join(directory, 'store.log');
    const lines = await runAndKill(file);
    const appended = lines
      .filter((line) => line.startsWith('append '))
      .map((line) => line.split(' '));
    const counts = lines
      .filter((line) => line.startsWith('count '))
      .map((line) => Number(line.split(' ')[1]));
    expect(appended.length).toBeGreaterThan(0);
    expect(counts.length).toBeGreaterThan(0);

    const warnings: string[] = [];
    const store = await openMemoryStore({
      file,
      logger: (level, message) => level !== 'info' && warnings.push(message),
    });
    try {
      const entries = await store.read('events');
      const stored = new Map(
        entries.map((record) => [record.offset, Buffer.from(record.entry).toString()]),
      );
      for (const [, offset, event] of appended) {
        expect(stored.get(offset!)).toBe(event);
      }
      // Operations may be durable without having been acknowledged, never the other way round.
      expect(entries.length).toBeGreaterThanOrEqual(appended.length);
      expect(await store.getCounter('count')).toBeGreaterThanOrEqual(Math.max(...counts));
      // Offsets stay contiguous: nothing in the middle was lost.
      expect(entries.map((record) => Number(record.offset))).toEqual(
        entries.map((_, index) => index + 1),
      );
      // Whatever tail was dropped, the log takes new writes that survive the next restart.
      const next = await store.append('events', Buffer.from('after-crash'));
      await store.close();
      const reopened = await openMemoryStore({ file });
      expect(
        Buffer.from(
          (await reopened.read('events', { after: entries.at(-1)!.offset }))[0]!.entry,
        ).toString(),
      ).toBe('after-crash');
      expect((await reopened.read('events')).at(-1)!.offset).toBe(next);
      await reopened.close();
    } finally {
      await store.close();
    }
    // Only a dropped torn tail may be reported, nothing else.
    expect(warnings.every((message) => message.includes('torn or corrupt tail'))).toBe(true);
  },
  CHILD_TIMEOUT_MS + 10_000,
);

/** Runs the writer until it has acknowledged enough operations, SIGKILLs it, returns its lines. */
function runAndKill(file: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        '--require',
        join(__dirname, '../../test-support/register-typescript.cjs'),
        join(__dirname, 'crash-writer.fixture.ts'),
        file,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    let errors = '';
    let killed = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `the writer did not acknowledge ${ACKNOWLEDGED_BEFORE_KILL} operations in time: ${errors}`,
        ),
      );
    }, CHILD_TIMEOUT_MS);
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (!killed && output.split('\n').length > ACKNOWLEDGED_BEFORE_KILL) {
        killed = true;
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      errors += chunk.toString();
    });
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal !== 'SIGKILL') {
        reject(new Error(`the writer exited on its own (code ${code}): ${errors}`));
        return;
      }
      // The last line may be cut off mid-write; only complete lines were acknowledged.
      resolve(
        output
          .split('\n')
          .slice(0, -1)
          .filter((line) => line !== 'ready'),
      );
    });
  });
}
