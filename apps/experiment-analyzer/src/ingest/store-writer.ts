import { VersionConflictError, type Store } from '@verdict/store';
import type { CounterWrite, MaxWrite, Pending } from './pending';
import { counterKey, indexKey, indexMember, shadowMaxKey, type Level } from './stat-keys';

/** Index members this process has registered; cleared past this size (re-adding is harmless). */
const REGISTERED_LIMIT = 200_000;
/** Attempts of the compare-and-set loop that raises a shadow maximum. */
const MAX_CAS_ATTEMPTS = 8;

/** Outcome of a flush. */
export interface FlushReport {
  readonly counters: number;
  readonly failed: number;
}

/** A counter write at one level. */
interface LevelWrite {
  readonly write: CounterWrite;
  readonly level: Level;
  readonly start: number;
  readonly member: string;
}

/** The fine level a {@link StoreWriter} keeps besides the window and rollup levels. */
export interface FineLevel {
  /** Width of the window level; pending windows are fine windows inside such windows. */
  readonly windowMs: number;
  /**
   * End (exclusive, epoch ms) of an experiment's fine level: statistics of fine windows that
   * start before it are also written per fine window. Undefined: not at all.
   */
  fineUntil(experiment: string): number | undefined;
}

/**
 * Writes pending aggregates to the Store at both levels (window and rollup), and at the fine
 * level for a young experiment when the writer has a {@link FineLevel}: first the index
 * members of counters it has not registered yet (so a reader that finds a counter's member
 * always finds the counter or 0), then every increment, all issued at once (one batch of calls
 * per flush, never one per event). Increments that fail are requeued in `pending` for the next
 * flush, then the flush rejects.
 */
export class StoreWriter {
  private readonly registered = new Set<string>();

  /**
   * `rollupMs`: width of the rollup level (a multiple of the window width). Without `fine`,
   * pending windows are windows of the window level.
   */
  constructor(
    private readonly store: Store,
    private readonly rollupMs: number,
    private readonly fine?: FineLevel,
  ) {}

  private rollupOf(window: number): number {
    return floorTo(window, this.rollupMs);
  }

  /** Each level's window start for a pending window, the fine level only while it is kept. */
  private levelsOf(experiment: string, pendingWindow: number): Array<readonly [Level, number]> {
    if (this.fine === undefined) {
      return [
        ['w', pendingWindow],
        ['r', this.rollupOf(pendingWindow)],
      ];
    }
    const window = floorTo(pendingWindow, this.fine.windowMs);
    const levels: Array<readonly [Level, number]> = [
      ['w', window],
      ['r', this.rollupOf(window)],
    ];
    const until = this.fine.fineUntil(experiment);
    if (until !== undefined && pendingWindow < until) levels.push(['f', pendingWindow]);
    return levels;
  }

  async write(pending: Pending): Promise<FlushReport> {
    const { counters, maxes } = pending.drain();
    if (counters.length === 0 && maxes.length === 0) return { counters: 0, failed: 0 };
    // Fine windows of one window add to the same window and rollup counters: one increment
    // each, with the sum, instead of one per fine window.
    const merged = new Map<string, LevelWrite>();
    for (const write of counters) {
      for (const [level, start] of this.levelsOf(write.experiment, write.window)) {
        if (write.onlyLevel !== undefined && write.onlyLevel !== level) continue;
        const member = indexMember(start, write.variant, write.metric, write.field);
        const key = `${level}\u0000${write.experiment}\u0000${member}`;
        const found = merged.get(key);
        merged.set(
          key,
          found === undefined
            ? { write, level, start, member }
            : { ...found, write: { ...found.write, delta: found.write.delta + write.delta } },
        );
      }
    }
    const levels = [...merged.values()];
    try {
      await this.register(levels);
    } catch (error) {
      pending.requeue(counters, maxes);
      throw error;
    }
    const results = await Promise.allSettled(
      levels.map(({ write, level, member }) => {
        const key = counterKey(write.experiment, level, member);
        return write.integer
          ? this.store.incrementBy(key, write.delta)
          : this.store.incrementFloat(key, write.delta);
      }),
    );
    const maxResults = await Promise.allSettled(maxes.map((m) => this.raiseMax(m)));
    const failed = levels.filter((_, i) => results[i].status === 'rejected');
    const failedMaxes = maxes.filter((_, i) => maxResults[i].status === 'rejected');
    if (failed.length > 0 || failedMaxes.length > 0) {
      // Requeue per level: a write that reached one level but not the other is retried only
      // where it failed (a retry entry carries its level).
      pending.requeue(
        failed.map((f) => ({ ...f.write, onlyLevel: f.level })),
        failedMaxes,
      );
      const first = [...results, ...maxResults].find((r) => r.status === 'rejected');
      throw (first as PromiseRejectedResult).reason;
    }
    return { counters: levels.length, failed: 0 };
  }

  private async register(levels: readonly LevelWrite[]) {
    const fresh = new Map<string, LevelWrite>();
    for (const l of levels) {
      const id = `${l.level}\u0000${l.write.experiment}\u0000${l.member}`;
      if (!this.registered.has(id)) fresh.set(id, l);
    }
    if (fresh.size === 0) return;
    await Promise.all(
      [...fresh.values()].map((l) =>
        this.store.sortedAdd(indexKey(l.write.experiment, l.level), l.member, l.start),
      ),
    );
    if (this.registered.size + fresh.size > REGISTERED_LIMIT) this.registered.clear();
    for (const id of fresh.keys()) this.registered.add(id);
  }

  private async raiseMax(m: MaxWrite): Promise<void> {
    for (const [level, start] of this.levelsOf(m.experiment, m.window)) {
      await this.raiseMaxAt(shadowMaxKey(m.experiment, level, start, m.variant), m.value);
    }
  }

  private async raiseMaxAt(key: string, value: number): Promise<void> {
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const entry = await this.store.get(key);
      const current = entry === undefined ? -Infinity : decodeDouble(entry.value);
      if (current >= value) return;
      try {
        await this.store.put(key, encodeDouble(value), { expectedVersion: entry?.version ?? 0 });
        return;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }
}

/** Start of the epoch-aligned period of width `width` holding `ms`. */
function floorTo(ms: number, width: number): number {
  return ms - (((ms % width) + width) % width);
}

/** 8 bytes, IEEE 754 little-endian. */
export function encodeDouble(value: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return bytes;
}

export function decodeDouble(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getFloat64(0, true);
}
