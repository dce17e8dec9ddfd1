/**
 * The audit log: segment files for durability, an in-memory Merkle tree for proofs, and an id
 * index for idempotency. Appends are group-committed: while one batch is being written and
 * fsynced, new records gather into the next one, and each caller is answered once the batch
 * holding its records is durable. Only durable records enter the tree.
 */
import { decodeRecord, encodeRecord, leafHash } from '@verdict/audit-client';
import { DataLossError, UnavailableError } from '@verdict/errors';
import type { auditV1 } from '@verdict/proto';
import { createMerkleTree, type MerkleTree } from '../merkle/merkle-tree';
import { checkRecord, DEFAULT_RECORD_LIMITS, type RecordLimits } from './record-limits';
import { openSegmentStore, type RecoveryReport } from './segment-store';

export interface AuditLogOptions {
  /** Directory of the segment files. */
  dir: string;
  /** @default 64 MiB */
  maxSegmentBytes?: number;
  /** Most records in one group commit. @default 20000 */
  maxBatchRecords?: number;
  /** @default {@link DEFAULT_RECORD_LIMITS} */
  limits?: RecordLimits;
  /** Told the size and duration of every committed batch (metrics). */
  onCommit?: (event: CommitEvent) => void;
}

/** One durable batch. */
export interface CommitEvent {
  records: number;
  treeSize: number;
  /** Seconds spent in write plus fdatasync. */
  syncSeconds: number;
}

/** What happened to one appended record. */
export interface AppendOutcome {
  id: string;
  index: number;
  /** The id was already in the log (or earlier in the same batch): nothing new was stored. */
  duplicate: boolean;
}

/** A record with its leaf index. */
export interface IndexedRecord {
  index: number;
  record: auditV1.Record;
}

export interface AuditLog {
  /** Durable records, which is also the Merkle tree's size. */
  readonly size: number;
  readonly tree: MerkleTree;
  readonly recovery: RecoveryReport;
  /** Appends records, answering once they are durable. */
  append(records: readonly auditV1.Record[]): Promise<AppendOutcome[]>;
  /** The index of a durable record id. */
  indexOf(id: string): number | undefined;
  /** Records `start` to `end` (exclusive), decoded; a record that no longer decodes fails naming its index. */
  read(start: number, end: number): Promise<IndexedRecord[]>;
  /** Refuses appends from now on, with `reason` (integrity failure found after opening). */
  freeze(reason: string): void;
  close(): Promise<void>;
}

interface Pending {
  bytes: Buffer[];
  hashes: Buffer[];
  ids: string[];
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** Opens (recovering) the log in `options.dir` and rebuilds its tree and id index. */
export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const maxBatchRecords = options.maxBatchRecords ?? 20_000;
  const limits = options.limits ?? DEFAULT_RECORD_LIMITS;
  const tree = createMerkleTree();
  const ids = new Map<string, number>();
  const store = await openSegmentStore({
    dir: options.dir,
    maxSegmentBytes: options.maxSegmentBytes,
    onRecovered(index, bytes) {
      tree.append(leafHash(bytes));
      const id = peekId(bytes, index);
      if (!ids.has(id)) ids.set(id, index);
    },
  });
  const pendingIds = new Map<string, { index: number; batch: Pending }>();
  // Batches waiting to be written, oldest first; only the last one still takes records.
  const queued: Pending[] = [];
  let writing = false;
  let nextIndex = store.count;
  let failure: Error | undefined;

  const newBatch = (): Pending => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined);
    return { bytes: [], hashes: [], ids: [], done, resolve, reject };
  };

  async function commitLoop(): Promise<void> {
    writing = true;
    while (queued.length > 0) {
      const batch = queued.shift()!;
      const started = process.hrtime.bigint();
      try {
        await store.append(batch.bytes);
      } catch (error) {
        // After a failed write or fsync the file's state is unknown: stop, let a restart recover.
        failure = new UnavailableError('the audit log could not write a batch; it must be restarted', { cause: error });
        batch.reject(failure);
        queued.splice(0).forEach((waiting) => waiting.reject(failure));
        writing = false;
        return;
      }
      batch.hashes.forEach((hash, i) => {
        tree.append(hash);
        ids.set(batch.ids[i], tree.size - 1);
        pendingIds.delete(batch.ids[i]);
      });
      options.onCommit?.({
        records: batch.bytes.length,
        treeSize: tree.size,
        syncSeconds: Number(process.hrtime.bigint() - started) / 1e9,
      });
      batch.resolve();
    }
    writing = false;
  }

  return {
    get size() {
      return tree.size;
    },
    tree,
    recovery: store.recovery,
    async append(records) {
      if (failure !== undefined) throw failure;
      const encoded = records.map((record, position) => {
        checkRecord(record, position, limits);
        return encodeRecord(record);
      });
      const outcomes: AppendOutcome[] = [];
      const waits = new Set<Promise<void>>();
      records.forEach((record, position) => {
        const durable = ids.get(record.id);
        if (durable !== undefined) {
          outcomes.push({ id: record.id, index: durable, duplicate: true });
          return;
        }
        const pending = pendingIds.get(record.id);
        if (pending !== undefined) {
          outcomes.push({ id: record.id, index: pending.index, duplicate: true });
          waits.add(pending.batch.done);
          return;
        }
        let open = queued.at(-1);
        if (open === undefined || open.bytes.length >= maxBatchRecords) {
          open = newBatch();
          queued.push(open);
        }
        const index = nextIndex++;
        open.bytes.push(encoded[position]);
        open.hashes.push(leafHash(encoded[position]));
        open.ids.push(record.id);
        pendingIds.set(record.id, { index, batch: open });
        outcomes.push({ id: record.id, index, duplicate: false });
        waits.add(open.done);
      });
      if (!writing) void commitLoop();
      await Promise.all(waits);
      return outcomes;
    },
    indexOf: (id) => ids.get(id),
    async read(start, end) {
      const raw = await store.read(start, Math.min(end, tree.size));
      return raw.map((bytes, i) => {
        try {
          return { index: start + i, record: decodeRecord(bytes) };
        } catch (error) {
          throw new DataLossError(`audit record ${start + i} is damaged and no longer decodes`, { cause: error });
        }
      });
    },
    freeze(reason) {
      failure = new DataLossError(`the audit log refuses appends: ${reason}`);
    },
    close: async () => {
      while (writing) await new Promise((resolve) => setTimeout(resolve, 1));
      await store.close();
    },
  };
}

/** The id of stored record bytes: the first field after the version byte. */
function peekId(bytes: Buffer, index: number): string {
  try {
    const length = bytes.readUInt32BE(1);
    return bytes.toString('utf8', 5, 5 + length);
  } catch {
    return `\u0000damaged:${index}`;
  }
}
