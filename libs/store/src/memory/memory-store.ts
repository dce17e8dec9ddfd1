import { InvalidArgumentError } from '@verdict/errors';
import type { Store, StoreLogger } from '../store';
import { AppendLog, type FsyncMode } from './append-log';
import { EmbeddedStore } from './embedded-store';
import { MemoryState } from './memory-state';

/** Options of {@link openMemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Path of the append-only log that makes the state survive a restart; its directory is
   * created if missing, and `<file>.lock` keeps a second store off the same file.
   * @default undefined (memory only: everything is lost on close)
   */
  file?: string;
  /**
   * When a mutation's promise resolves: 'always' after its own write and fsync; 'batch' after
   * a write and fsync shared with all mutations of the same event-loop turn (group commit,
   * just as durable per acknowledged call, far fewer fsyncs); 'never' after the write to the
   * OS (survives a crash of the process, not of the machine).
   * @default 'batch'
   */
  fsync?: FsyncMode;
  /**
   * Rewrite the log as a snapshot once it has grown to this many bytes and to twice its size
   * after the last snapshot. `Infinity` turns automatic compaction off.
   * @default 67108864 (64 MiB)
   */
  compactAfterBytes?: number;
  /**
   * Size of the writes that put a snapshot on disk.
   * @default 1048576 (1 MiB)
   */
  compactionChunkBytes?: number;
  /**
   * Receives what the store cannot throw: a dropped log tail, compactions, a throwing
   * subscription handler.
   * @default undefined (nothing is reported)
   */
  logger?: StoreLogger;
}

/** The embedded store; see {@link openMemoryStore}. */
export interface MemoryStore extends Store {
  /**
   * Rewrites the log as a snapshot of the current state now (normally automatic, see
   * `compactAfterBytes`); resolves at once for a store without a file.
   */
  compact(): Promise<void>;
}

const DEFAULTS = {
  fsync: 'batch',
  compactAfterBytes: 64 * 1024 * 1024,
  compactionChunkBytes: 1024 * 1024,
  logger: () => undefined,
} as const satisfies Omit<Required<MemoryStoreOptions>, 'file'>;

/**
 * Opens the embedded store: all state in memory, and with `file`, every mutation appended to a
 * checksummed log before its promise resolves, replayed on open. Mutations apply in one order,
 * in the call that makes them, so concurrent callers never lose an update; a read may see a
 * mutation whose promise has not resolved yet (it is durable once that promise resolves).
 * Publish/subscribe reaches subscribers of this store object only.
 */
export async function openMemoryStore(options: MemoryStoreOptions = {}): Promise<MemoryStore> {
  const settings = withDefaults(options);
  const state = new MemoryState();
  if (settings.file === undefined) {
    return new EmbeddedStore(state, undefined, settings.logger);
  }
  const log = await AppendLog.open(
    {
      path: settings.file,
      fsync: settings.fsync,
      compactAfterBytes: settings.compactAfterBytes,
      compactionChunkBytes: settings.compactionChunkBytes,
      logger: settings.logger,
      snapshot: () => state.snapshot(),
    },
    (mutation) => state.apply(mutation),
  );
  return new EmbeddedStore(state, log, settings.logger);
}

/** A memory-only store (nothing survives it), for tests and tools; no I/O, so not async. */
export function createMemoryStore(options: Pick<MemoryStoreOptions, 'logger'> = {}): MemoryStore {
  return new EmbeddedStore(new MemoryState(), undefined, options.logger ?? DEFAULTS.logger);
}

function withDefaults(options: MemoryStoreOptions) {
  const settings = { ...DEFAULTS, ...dropUndefined(options) };
  if (!['always', 'batch', 'never'].includes(settings.fsync)) {
    throw new InvalidArgumentError({
      field: 'fsync',
      expected: "'always', 'batch' or 'never'",
      received: String(settings.fsync),
    });
  }
  for (const field of ['compactAfterBytes', 'compactionChunkBytes'] as const) {
    if (!(settings[field] > 0)) {
      throw new InvalidArgumentError({
        field,
        expected: 'a positive number of bytes',
        received: String(settings[field]),
      });
    }
  }
  return settings;
}

function dropUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter(([, field]) => field !== undefined),
  ) as Partial<T>;
}
