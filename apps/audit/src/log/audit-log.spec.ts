import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { encodeRecord, rootOfLeaves } from '@verdict/audit-client';
import { auditV1 } from '@verdict/proto';
import { openAuditLog } from './audit-log';
import { encodeBatch } from './batch-encoder';
import { DEFAULT_RECORD_LIMITS } from './record-limits';

const record = (id: string, details: Record<string, string> = {}) =>
  create(auditV1.RecordSchema, {
    id,
    time: { seconds: 1_700_000_000n, nanos: 7 },
    actor: 'spiffe://verdict.local/ns/default/sa/registry',
    action: 'alias.move',
    resource: 'model/spam',
    outcome: auditV1.Outcome.SUCCESS,
    details,
    serving: id.startsWith('s')
      ? { model: 'spam', version: 'é', latencyUs: 3n, inputBytes: 9n }
      : undefined,
  });

describe('encodeBatch', () => {
  it("frames each record's canonical bytes behind its length", () => {
    const records = [record('a'), record('s-1', { k: 'ü' }), record('b')];
    const batch = encodeBatch(records, DEFAULT_RECORD_LIMITS);
    records.forEach((entry, i) => {
      const bytes = encodeRecord(entry);
      const frame = batch.bytes.subarray(batch.offsets[i], batch.offsets[i + 1]);
      expect(frame.readUInt32BE(0)).toBe(bytes.length);
      expect(frame.subarray(4).equals(bytes)).toBe(true);
    });
    expect(batch.offsets[3]).toBe(batch.bytes.length);
  });

  it('names the first record out of bounds', () => {
    expect(() => encodeBatch([record('a'), record('')], DEFAULT_RECORD_LIMITS)).toThrow(
      /records\[1\]\.id/,
    );
  });
});

describe('audit log appends', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-audit-log-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('stores each id once, within a call, across calls in flight and after they are durable', async () => {
    const log = await openAuditLog({ dir, maxBatchRecords: 2 });
    const [first, second] = await Promise.all([
      log.append([record('a'), record('b'), record('a'), record('c'), record('d'), record('e')]),
      log.append([record('c'), record('f'), record('b')]),
    ]);
    expect(first.map((outcome) => [outcome.id, outcome.index, outcome.duplicate])).toEqual([
      ['a', 0, false],
      ['b', 1, false],
      ['a', 0, true],
      ['c', 2, false],
      ['d', 3, false],
      ['e', 4, false],
    ]);
    expect(second.map((outcome) => [outcome.id, outcome.index, outcome.duplicate])).toEqual([
      ['c', 2, true],
      ['f', 5, false],
      ['b', 1, true],
    ]);
    expect((await log.append([record('f')]))[0]).toEqual({ id: 'f', index: 5, duplicate: true });
    expect(log.size).toBe(6);
    const stored = await log.read(0, 6);
    expect(stored.map((entry) => entry.record.id)).toEqual(['a', 'b', 'c', 'd', 'e', 'f']);
    expect(
      log.tree.root().equals(rootOfLeaves(stored.map((entry) => encodeRecord(entry.record)))),
    ).toBe(true);
    await log.close();
  });

  it('refuses a call with an invalid record whole, storing none of it', async () => {
    const log = await openAuditLog({ dir });
    await expect(log.append([record('a'), record('b', { ['k'.repeat(65)]: 'v' })])).rejects.toThrow(
      /records\[1\]\.details/,
    );
    expect(log.size).toBe(0);
    expect(log.indexOf('a')).toBeUndefined();
    expect((await log.append([record('a')]))[0]).toEqual({ id: 'a', index: 0, duplicate: false });
    await log.close();
  });

  it('answers indexOf only for durable records', async () => {
    const log = await openAuditLog({ dir });
    const appended = log.append([record('a')]);
    expect(log.indexOf('a')).toBeUndefined();
    await appended;
    expect(log.indexOf('a')).toBe(0);
    await log.close();
  });

  it('reopens to the same records, tree and ids, and cuts a torn tail', async () => {
    const log = await openAuditLog({ dir, maxBatchRecords: 3 });
    await Promise.all([
      log.append([record('a'), record('s-b'), record('c'), record('d')]),
      log.append([record('e')]),
    ]);
    const root = log.tree.root();
    await log.close();
    const [segment] = (await readdir(dir)).filter((name) => name.endsWith('.seg'));
    const intact = await readFile(join(dir, segment));
    await writeFile(
      join(dir, segment),
      Buffer.concat([intact, Buffer.from('VAL1\0\0\0\x01\0\0\0\x09torn')]),
    );
    const reopened = await openAuditLog({ dir });
    expect(reopened.recovery).toEqual({ records: 5, truncatedBytes: 16 });
    expect(reopened.tree.root().equals(root)).toBe(true);
    expect(reopened.indexOf('e')).toBe(4);
    expect(
      (await reopened.append([record('c'), record('g')])).map((outcome) => outcome.index),
    ).toEqual([2, 5]);
    expect((await readFile(join(dir, segment))).subarray(0, intact.length).equals(intact)).toBe(
      true,
    );
    await reopened.close();
  });
});
