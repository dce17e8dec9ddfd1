import { appendFile, mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AbortedError,
  FailedPreconditionError,
  InvalidArgumentError,
  UnavailableError,
} from '@verdict/errors';
import type { StoreLogger } from '../store';
import { LOG_HEADER, encodeRecord } from './log-codec';
import { createMemoryStore, openMemoryStore } from './memory-store';

let directory: string;
let file: string;
let logged: Array<{ level: string; message: string; details?: Record<string, unknown> }>;
const logger: StoreLogger = (level, message, details) => logged.push({ level, message, details });

beforeEach(async () => {
  directory = await mkdtemp(join(tmpdir(), 'verdict-log-'));
  file = join(directory, 'data', 'store.log');
  logged = [];
});

afterEach(async () => {
  jest.restoreAllMocks();
  await rm(directory, { recursive: true, force: true });
});

const text = (value: Uint8Array | undefined) => (value ? Buffer.from(value).toString() : undefined);

async function fileHandlePrototype(): Promise<{ datasync(): Promise<void> }> {
  const handle = await open(__filename, 'r');
  await handle.close();
  return Object.getPrototypeOf(handle);
}

describe('memory store log file', () => {
  it('drops a torn tail on open, says so, and keeps appending after the last good record', async () => {
    const store = await openMemoryStore({ file });
    await store.put('kept', Buffer.from('yes'));
    await store.close();
    const good = (await stat(file)).size;
    const torn = encodeRecord({ kind: 'put', key: 'torn', version: 1, value: Buffer.from('no') });
    await appendFile(file, torn.subarray(0, torn.byteLength - 3));

    const reopened = await openMemoryStore({ file, logger });
    expect(text((await reopened.get('kept'))?.value)).toBe('yes');
    expect(await reopened.get('torn')).toBeUndefined();
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: 'warn',
        details: expect.objectContaining({ keptBytes: good, droppedBytes: torn.byteLength - 3 }),
      }),
    );
    expect((await stat(file)).size).toBe(good);
    await reopened.put('after', Buffer.from('later'));
    await reopened.close();

    const again = await openMemoryStore({ file, logger });
    expect(text((await again.get('after'))?.value)).toBe('later');
    expect(logged.filter((entry) => entry.level === 'warn')).toHaveLength(1);
    await again.close();
  });

  it('drops a last record whose checksum does not match', async () => {
    const store = await openMemoryStore({ file });
    await store.incrementBy('count', 1);
    await store.incrementBy('count', 1);
    await store.close();
    const data = await readFile(file);
    data[data.byteLength - 1]! ^= 0xff;
    await writeFile(file, data);

    const reopened = await openMemoryStore({ file, logger });
    expect(await reopened.getCounter('count')).toBe(1);
    expect(
      logged.some((entry) => String(entry.details?.problem).includes('checksum mismatch')),
    ).toBe(true);
    await reopened.close();
  });

  it('refuses a file that is not a store log and leaves it alone', async () => {
    await openMemoryStore({ file }).then((store) => store.close());
    await writeFile(file, 'precious data');
    await expect(openMemoryStore({ file })).rejects.toBeInstanceOf(FailedPreconditionError);
    expect(await readFile(file, 'utf8')).toBe('precious data');
    // The failed open released its lock.
    await writeFile(file, '');
    await openMemoryStore({ file }).then((store) => store.close());
  });

  it('starts afresh from an empty file or a partly written header', async () => {
    for (const content of [Buffer.alloc(0), LOG_HEADER.subarray(0, 3)]) {
      await openMemoryStore({ file }).then((store) => store.close());
      await writeFile(file, content);
      const store = await openMemoryStore({ file });
      await store.put('k', Buffer.from('v'));
      await store.close();
      expect((await readFile(file)).subarray(0, LOG_HEADER.byteLength)).toEqual(LOG_HEADER);
    }
  });

  it('keeps a second store off an open file and takes over a lock left by a dead process', async () => {
    const store = await openMemoryStore({ file });
    await expect(openMemoryStore({ file })).rejects.toThrow(/in use by process \d+ \(this one\)/);
    await store.close();
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    await writeFile(`${file}.lock`, String(dead));
    const reopened = await openMemoryStore({ file });
    await reopened.close();
  });

  it('compacts automatically and keeps the state, versions included', async () => {
    // fsync 'never' only spares a thousand sequential fsyncs; snapshots are synced regardless.
    const store = await openMemoryStore({ file, compactAfterBytes: 4096, fsync: 'never', logger });
    for (let i = 0; i < 500; i++) {
      await store.put(`key-${i % 5}`, Buffer.alloc(32, i));
      await store.incrementFloat('sum', 0.5);
    }
    await store.append('events', Buffer.from('e1'));
    await store.commitOffset('events', 'c', '00000000000000000001');
    await store.close();
    expect(logged.some((entry) => entry.message === 'store log compacted')).toBe(true);
    // 1000 records of at least 30 bytes were written; the state itself is a few hundred bytes.
    expect((await stat(file)).size).toBeLessThan(8192);

    const reopened = await openMemoryStore({ file });
    expect(await reopened.get('key-4')).toEqual({
      value: new Uint8Array(32).fill(499 % 256),
      version: 100,
    });
    expect(await reopened.getCounter('sum')).toBe(250);
    expect(await reopened.getOffset('events', 'c')).toBe('00000000000000000001');
    await reopened.close();
  });

  it('loses nothing written while a compaction runs', async () => {
    // Small chunks make the snapshot take many writes, so the calls below land in between.
    const store = await openMemoryStore({ file, compactionChunkBytes: 64, fsync: 'never' });
    const name = (i: number) => `before-${String(i).padStart(4, '0')}`;
    await Promise.all(
      Array.from({ length: 1000 }, (_, i) => store.put(name(i), Buffer.from(String(i)))),
    );
    let compacted = false;
    const compaction = store.compact().then(() => {
      compacted = true;
    });
    const calls: Promise<unknown>[] = [];
    let round = 0;
    // Deleting the first keys shifts every later key, so a snapshot that were not taken in
    // one step would skip some.
    for (; !compacted && round < 1000; round++) {
      calls.push(store.delete(name(round)));
      calls.push(store.put(`during-${round}`, Buffer.from(String(round))));
      calls.push(store.append('events', Buffer.from(String(round))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all([compaction, ...calls]);
    expect(round).toBeGreaterThan(3);
    const expected = await store.scan('');
    await store.close();

    const reopened = await openMemoryStore({ file });
    expect(await reopened.scan('')).toEqual(expected);
    expect(await reopened.scan('before-')).toHaveLength(1000 - round);
    expect(await reopened.read('events')).toHaveLength(round);
    await reopened.close();
  });

  it("shares one fsync among the mutations of one turn with 'batch', one each with 'always'", async () => {
    const prototype = await fileHandlePrototype();
    const expectations = { batch: 1, always: 100, never: 0 } as const;
    for (const [fsync, fsyncs] of Object.entries(expectations)) {
      const options = {
        file: join(directory, `${fsync}.log`),
        fsync: fsync as keyof typeof expectations,
      };
      const store = await openMemoryStore(options);
      const datasync = jest.spyOn(prototype, 'datasync');
      await Promise.all(Array.from({ length: 100 }, (_, i) => store.incrementBy('count', i + 1)));
      expect(datasync).toHaveBeenCalledTimes(fsyncs);
      datasync.mockRestore();
      await store.close();
      const reopened = await openMemoryStore(options);
      expect(await reopened.getCounter('count')).toBe(5050);
      await reopened.close();
    }
  });

  it('refuses every call after a failed write, since memory and file no longer agree', async () => {
    const prototype = await fileHandlePrototype();
    const store = await openMemoryStore({ file, logger });
    await store.put('k', Buffer.from('durable'));
    jest.spyOn(prototype, 'datasync').mockRejectedValueOnce(new Error('EIO: i/o error'));
    await expect(store.put('k', Buffer.from('lost'))).rejects.toBeInstanceOf(UnavailableError);
    await expect(store.get('k')).rejects.toThrow(/could not be written \(EIO: i\/o error\)/);
    expect(logged).toContainEqual(expect.objectContaining({ level: 'error' }));
    await store.close();
  });

  it('validates its options', async () => {
    await expect(openMemoryStore({ file, fsync: 'sometimes' as 'batch' })).rejects.toBeInstanceOf(
      InvalidArgumentError,
    );
    await expect(openMemoryStore({ file, compactAfterBytes: 0 })).rejects.toMatchObject({
      field: 'compactAfterBytes',
    });
  });
});

describe('memory store', () => {
  it('reports version conflicts as AbortedError', async () => {
    const store = createMemoryStore();
    await store.put('k', Buffer.from('v'));
    await expect(store.put('k', Buffer.from('w'), { expectedVersion: 0 })).rejects.toBeInstanceOf(
      AbortedError,
    );
    await store.compact();
    await store.close();
  });

  it('logs a throwing subscription handler', async () => {
    const store = createMemoryStore({ logger });
    await store.subscribe('ch', () => {
      throw new Error('boom');
    });
    await store.publish('ch', new Uint8Array([1]));
    await new Promise((resolve) => setImmediate(resolve));
    expect(logged).toEqual([
      {
        level: 'error',
        message: 'store subscription handler threw',
        details: { channel: 'ch', error: 'boom' },
      },
    ]);
    await store.close();
  });
});
