/**
 * The audit log: segment files for durability, an in-memory Merkle tree for proofs, and an id
 * index for idempotency. Appends are group-committed: while one batch is being written and
 * fsynced, and hashed on a worker thread, new records gather into the next one; each caller is
 * answered once the batch holding its records is durable and in the tree. Only durable records
 * enter the tree.
 */
import { decodeRecord, leafHash } from '@verdict/audit-client';
import { DataLossError, UnavailableError } from '@verdict/errors';
import type { auditV1 } from '@verdict/proto';
import { createMerkleTree, type MerkleTree } from '../merkle/merkle-tree';
import { createTreeHasher } from '../merkle/tree-hasher';
import { encodeBatch } from './batch-encoder';
import { DEFAULT_RECORD_LIMITS, type RecordLimits } from './record-limits';
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
  /** Appends records, answering once they are durable and in the tree. */
  append(records: readonly auditV1.Record[]): Promise<AppendOutcome[]>;
  /** The index of a durable record id. */
  indexOf(id: string): number | undefined;
  /** Records `start` to `end` (exclusive), decoded; a record that no longer decodes fails naming its index. */
  read(start: number, end: number): Promise<IndexedRecord[]>;
  /** Refuses appends from now on, with `reason` (integrity failure found after opening). */
  freeze(reason: string): void;
  close(): Promise<void>;
}

/** One group commit: whole runs of encoded records, written as one frame. */
interface Pending {
  /** Index of its first record. */
  first: number;
  count: number;
  /** Payload parts, each a run of consecutive records of one call in payload framing. */
  parts: Buffer[];
  done: Promise<void>;
  resolve(): void;
  reject(error: unknown): void;
}

/** Opens (recovering) the log in `options.dir` and rebuilds its tree and id index. */
export async function openAuditLog(options: AuditLogOptions): Promise<AuditLog> {
  const maxBatchRecords = options.maxBatchRecords ?? 20_000;
  const limits = options.limits ?? DEFAULT_RECORD_LIMITS;
  const tree = createMerkleTree();
  // Every id taken, durable or not: an index at or past tree.size is still in a pending batch.
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
  // Batches waiting to be written, oldest first; only the last one still takes records.
  const queued: Pending[] = [];
  let writing: Pending | undefined;
  let nextIndex = store.count;
  let failure: Error | undefined;
  const hasher = createTreeHasher();

  const newBatch = (first: number): Pending => {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const done = new Promise<void>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    done.catch(() => undefined);
    return { first, count: 0, parts: [], done, resolve, reject };
  };

  /** The batch, written or waiting, that holds the not yet durable record `index`. */
  const batchOf = (index: number): Pending =>
    writing !== undefined && index < writing.first + writing.count
      ? writing
      : queued.find((batch) => index < batch.first + batch.count)!;

  async function commitLoop(): Promise<void> {
    while (queued.length > 0) {
      const batch = queued.shift()!;
      writing = batch;
      const started = process.hrtime.bigint();
      // The batch is hashed while it is written; it joins the tree only once it is durable.
      const hashing = hasher.extend(tree.size, tree.frontier(), batch.parts);
      hashing.catch(() => undefined);
      let syncSeconds: number;
      let extension;
      try {
        await store.append(batch.parts);
        syncSeconds = Number(process.hrtime.bigint() - started) / 1e9;
        extension = await hashing;
      } catch (error) {
        // After a failed write or fsync the file's state is unknown, and a durable batch that
        // could not be hashed is missing from the tree: stop, let a restart recover.
        failure = new UnavailableError(
          'the audit log could not write or hash a batch; it must be restarted',
          { cause: error },
        );
        batch.reject(failure);
        queued.splice(0).forEach((waiting) => waiting.reject(failure));
        writing = undefined;
        return;
      }
      tree.appendExtension(extension);
      writing = undefined;
      options.onCommit?.({ records: batch.count, treeSize: tree.size, syncSeconds });
      batch.resolve();
    }
  }

  return {
    get size() {
      return tree.size;
    },
    tree,
    recovery: store.recovery,
    async append(records) {
      if (failure !== undefined) throw failure;
      // Checks and encodes the whole call first: an invalid record refuses it before any is queued.
      const encoded = encodeBatch(records, limits);
      const outcomes: AppendOutcome[] = new Array<AppendOutcome>(records.length);
      const waits: Promise<void>[] = [];
      const waitFor = (batch: Pending) => {
        if (!waits.includes(batch.done)) waits.push(batch.done);
      };
      let open = queued.at(-1);
      // Consecutive new records going to the same batch travel as one slice of `encoded.bytes`.
      let runStart = -1;
      const endRun = (end: number) => {
        if (runStart >= 0)
          open!.parts.push(encoded.bytes.subarray(encoded.offsets[runStart], encoded.offsets[end]));
        runStart = -1;
      };
      for (let position = 0; position < records.length; position++) {
        const id = records[position].id;
        const known = ids.get(id);
        if (known !== undefined) {
          endRun(position);
          outcomes[position] = { id, index: known, duplicate: true };
          if (known >= tree.size) waitFor(batchOf(known));
          continue;
        }
        if (open === undefined || open.count >= maxBatchRecords) {
          endRun(position);
          open = newBatch(nextIndex);
          queued.push(open);
        }
        if (runStart < 0) runStart = position;
        const index = nextIndex++;
        ids.set(id, index);
        open.count += 1;
        outcomes[position] = { id, index, duplicate: false };
        waitFor(open);
      }
      endRun(records.length);
      if (writing === undefined && queued.length > 0) void commitLoop();
      await Promise.all(waits);
      return outcomes;
    },
    indexOf(id) {
      const index = ids.get(id);
      return index !== undefined && index < tree.size ? index : undefined;
    },
    async read(start, end) {
      const raw = await store.read(start, Math.min(end, tree.size));
      return raw.map((bytes, i) => {
        try {
          return { index: start + i, record: decodeRecord(bytes) };
        } catch (error) {
          throw new DataLossError(`audit record ${start + i} is damaged and no longer decodes`, {
            cause: error,
          });
        }
      });
    },
    freeze(reason) {
      failure = new DataLossError(`the audit log refuses appends: ${reason}`);
    },
    close: async () => {
      while (writing !== undefined || queued.length > 0)
        await new Promise((resolve) => setTimeout(resolve, 1));
      await hasher.close();
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
