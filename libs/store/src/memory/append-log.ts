import { mkdir, open, readFile, rename, rm, truncate, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailedPreconditionError, UnavailableError } from '@verdict/errors';
import type { StoreLogger } from '../store';
import { isPrefixOfHeader, syncDirectory, writeFully, writeNewFile } from './file-io';
import { acquireFileLock } from './file-lock';
import { LOG_HEADER, decodeLog, encodeRecord } from './log-codec';
import type { Mutation } from './mutation';

/** When an appended record counts as written. */
export type FsyncMode = 'always' | 'batch' | 'never';

/** Settings of {@link AppendLog}, all resolved (see MemoryStoreOptions for their meaning). */
export interface AppendLogSettings {
  readonly path: string;
  readonly fsync: FsyncMode;
  readonly compactAfterBytes: number;
  readonly compactionChunkBytes: number;
  readonly logger: StoreLogger;
  /** The current state as mutations; called synchronously when a compaction starts. */
  readonly snapshot: () => Iterable<Mutation>;
}

interface Waiter {
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

interface PendingRecord extends Waiter {
  readonly record: Buffer;
}

/**
 * The memory store's append-only log: replay on open, group-committed appends, compaction.
 *
 * All file work runs in one loop, one step at a time, so appends reach the file in the order
 * they were made and a compaction never interleaves with a write. Records made while the loop
 * is busy wait and go out together in the next write (group commit).
 */
export class AppendLog {
  private pending: PendingRecord[] = [];
  private compactWaiters: Waiter[] = [];
  private running: Promise<void> | undefined;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly settings: AppendLogSettings,
    private handle: FileHandle,
    private size: number,
    private sizeAfterCompaction: number,
    private readonly releaseLock: () => Promise<void>,
  ) {}

  /**
   * Opens (or creates) the log, replays it through `onMutation` and truncates a torn or corrupt
   * tail, which it reports through the logger.
   */
  static async open(
    settings: AppendLogSettings,
    onMutation: (mutation: Mutation) => void,
  ): Promise<AppendLog> {
    const { path, logger } = settings;
    await mkdir(dirname(path), { recursive: true });
    const releaseLock = await acquireFileLock(`${path}.lock`, `store file ${path}`);
    try {
      const data = await readFile(path).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') {
          return undefined;
        }
        throw error;
      });
      let size: number;
      if (data === undefined || isPrefixOfHeader(data)) {
        // New, or created by a process that died before the header was on disk.
        await writeNewFile(path, [LOG_HEADER]);
        size = LOG_HEADER.byteLength;
      } else {
        let records = 0;
        let decoded;
        try {
          decoded = decodeLog(data, (mutation) => {
            onMutation(mutation);
            records++;
          });
        } catch (error) {
          throw new FailedPreconditionError(
            `${path} is not a Verdict store log: ${(error as Error).message}`,
            {
              cause: error,
            },
          );
        }
        size = decoded.validBytes;
        if (decoded.problem !== undefined) {
          logger('warn', 'store log: dropping a torn or corrupt tail', {
            file: path,
            problem: decoded.problem,
            keptBytes: size,
            droppedBytes: data.byteLength - size,
          });
          await truncate(path, size);
        }
        logger('info', 'store log replayed', { file: path, records, bytes: size });
      }
      const handle = await open(path, 'a');
      await handle.datasync();
      return new AppendLog(settings, handle, size, size, releaseLock);
    } catch (error) {
      await releaseLock();
      throw error;
    }
  }

  /**
   * Appends a mutation; resolves once it is written (and fsynced, unless `fsync` is 'never').
   * After a failed write the log refuses everything: the caller's memory would no longer
   * match the file.
   */
  append(mutation: Mutation): Promise<void> {
    this.checkUsable();
    const record = encodeRecord(mutation);
    return new Promise((resolve, reject) => {
      this.pending.push({ record, resolve, reject });
      this.schedule();
    });
  }

  /** Rewrites the log as a snapshot of the current state. */
  compact(): Promise<void> {
    this.checkUsable();
    return new Promise((resolve, reject) => {
      this.compactWaiters.push({ resolve, reject });
      this.schedule();
    });
  }

  /** Throws if the log cannot take changes any more. */
  checkUsable(): void {
    if (this.failure !== undefined) {
      throw new UnavailableError(
        `store file ${this.settings.path} could not be written (${this.failure.message}); ` +
          `the store refuses further calls until it is reopened`,
        { cause: this.failure },
      );
    }
    if (this.closed) {
      throw new FailedPreconditionError(`store file ${this.settings.path} is closed`);
    }
  }

  /** The log's current size in bytes. */
  get bytes(): number {
    return this.size;
  }

  /** Writes what is pending, then closes the file and releases the lock. */
  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    while (this.running !== undefined) {
      await this.running;
    }
    await this.handle.close();
    await this.releaseLock();
  }

  private schedule(): void {
    if (this.running !== undefined) {
      return;
    }
    // setImmediate rather than a microtask: every record made in this turn of the event loop
    // (e.g. by a Promise.all of many puts) joins the same write and fsync.
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(() => this.run())
      .finally(() => {
        this.running = undefined;
        // Work queued between the loop's last check and this point would otherwise wait forever.
        if (
          this.failure === undefined &&
          (this.pending.length > 0 || this.compactWaiters.length > 0)
        ) {
          this.schedule();
        }
      });
  }

  private async run(): Promise<void> {
    while (
      this.failure === undefined &&
      (this.pending.length > 0 || this.compactWaiters.length > 0)
    ) {
      if (this.pending.length > 0) {
        const batch =
          this.settings.fsync === 'always' ? this.pending.splice(0, 1) : this.pending.splice(0);
        try {
          await this.write(batch.map((item) => item.record));
        } catch (error) {
          this.fail(error, batch);
          return;
        }
        for (const item of batch) {
          item.resolve();
        }
      }
      if (this.compactWaiters.length > 0 || this.compactionDue()) {
        const waiters = this.compactWaiters.splice(0);
        try {
          await this.compactNow();
          for (const waiter of waiters) {
            waiter.resolve();
          }
        } catch (error) {
          // Not again before the log has doubled: a full disk would otherwise cost a failed
          // snapshot on every write.
          this.sizeAfterCompaction = this.size;
          for (const waiter of waiters) {
            waiter.reject(error);
          }
        }
      }
    }
  }

  private async write(records: Buffer[]): Promise<void> {
    const data = records.length === 1 ? records[0]! : Buffer.concat(records);
    await writeFully(this.handle, data);
    if (this.settings.fsync !== 'never') {
      await this.handle.datasync();
    }
    this.size += data.byteLength;
  }

  private compactionDue(): boolean {
    // Growth relative to the last snapshot keeps a large but stable state from compacting on
    // every write.
    return (
      this.size >= this.settings.compactAfterBytes && this.size >= 2 * this.sizeAfterCompaction
    );
  }

  /**
   * Snapshot to a temporary file, fsync, atomic rename over the log, fsync the directory. A
   * failure before the rename leaves the old log in place and only costs the attempt.
   */
  private async compactNow(): Promise<void> {
    const { path, logger, compactionChunkBytes } = this.settings;
    // Taken synchronously so that no call changes the state in the middle of it; mutations made
    // while the snapshot is written are appended after it (replaying them again is harmless).
    const mutations = [...this.settings.snapshot()];
    const temporary = `${path}.compacting`;
    let size = 0;
    try {
      const chunks: Buffer[] = [LOG_HEADER];
      let chunkBytes = LOG_HEADER.byteLength;
      const target = await open(temporary, 'w');
      try {
        for (const mutation of mutations) {
          const record = encodeRecord(mutation);
          chunks.push(record);
          chunkBytes += record.byteLength;
          if (chunkBytes >= compactionChunkBytes) {
            await writeFully(target, Buffer.concat(chunks));
            size += chunkBytes;
            chunks.length = 0;
            chunkBytes = 0;
          }
        }
        await writeFully(target, Buffer.concat(chunks));
        size += chunkBytes;
        await target.sync();
      } finally {
        await target.close();
      }
      await rename(temporary, path);
    } catch (error) {
      await rm(temporary, { force: true });
      logger('error', 'store log: compaction failed, keeping the old log', {
        file: path,
        error: (error as Error).message,
      });
      throw new UnavailableError(
        `compaction of store file ${path} failed: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    try {
      await syncDirectory(dirname(path));
      const previous = this.handle;
      this.handle = await open(path, 'a');
      await previous.close();
    } catch (error) {
      this.fail(error, []);
      throw error;
    }
    logger('info', 'store log compacted', { file: path, bytesBefore: this.size, bytesAfter: size });
    this.size = size;
    this.sizeAfterCompaction = size;
  }

  private fail(error: unknown, batch: readonly Waiter[]): void {
    this.failure = error instanceof Error ? error : new Error(String(error));
    this.settings.logger('error', 'store log: write failed, refusing further changes', {
      file: this.settings.path,
      error: this.failure.message,
    });
    for (const waiter of [...batch, ...this.pending.splice(0), ...this.compactWaiters.splice(0)]) {
      waiter.reject(
        new UnavailableError(
          `store file ${this.settings.path} could not be written: ${this.failure.message}`,
          {
            cause: this.failure,
          },
        ),
      );
    }
  }
}
