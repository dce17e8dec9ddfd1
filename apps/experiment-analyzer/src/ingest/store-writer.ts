import { VersionConflictError, type Store } from '@verdict/store';
import type { CounterWrite, MaxWrite, Pending } from './pending';
import { counterKey, indexKey, indexMember, shadowMaxKey } from './stat-keys';

/** Index members this process has registered; cleared past this size (re-adding is harmless). */
const REGISTERED_LIMIT = 200_000;
/** Attempts of the compare-and-set loop that raises a shadow maximum. */
const MAX_CAS_ATTEMPTS = 8;

/** Outcome of a flush. */
export interface FlushReport {
  readonly counters: number;
  readonly failed: number;
}

/**
 * Writes pending aggregates to the Store: first the index members of counters it has not
 * registered yet (so a reader that finds a counter's member always finds the counter or 0),
 * then every increment, all issued at once (one batch of calls per flush, never one per event).
 * Increments that fail are requeued in `pending` for the next flush, then the flush rejects.
 */
export class StoreWriter {
  private readonly registered = new Set<string>();

  constructor(private readonly store: Store) {}

  async write(pending: Pending): Promise<FlushReport> {
    const { counters, maxes } = pending.drain();
    if (counters.length === 0 && maxes.length === 0) return { counters: 0, failed: 0 };
    const members = counters.map((w) => indexMember(w.window, w.variant, w.metric, w.field));
    try {
      await this.register(counters, members);
    } catch (error) {
      pending.requeue(counters, maxes);
      throw error;
    }
    const results = await Promise.allSettled(
      counters.map((w, i) => {
        const key = counterKey(w.experiment, members[i]);
        return w.integer
          ? this.store.incrementBy(key, w.delta)
          : this.store.incrementFloat(key, w.delta);
      }),
    );
    const maxResults = await Promise.allSettled(maxes.map((m) => this.raiseMax(m)));
    const failedCounters = counters.filter((_, i) => results[i].status === 'rejected');
    const failedMaxes = maxes.filter((_, i) => maxResults[i].status === 'rejected');
    if (failedCounters.length > 0 || failedMaxes.length > 0) {
      pending.requeue(failedCounters, failedMaxes);
      const first = [...results, ...maxResults].find((r) => r.status === 'rejected');
      throw (first as PromiseRejectedResult).reason;
    }
    return { counters: counters.length, failed: 0 };
  }

  private async register(counters: readonly CounterWrite[], members: readonly string[]) {
    const fresh = new Map<string, { experiment: string; member: string; window: number }>();
    counters.forEach((w, i) => {
      const id = `${w.experiment}\u0000${members[i]}`;
      if (!this.registered.has(id)) {
        fresh.set(id, { experiment: w.experiment, member: members[i], window: w.window });
      }
    });
    if (fresh.size === 0) return;
    await Promise.all(
      [...fresh.values()].map((f) =>
        this.store.sortedAdd(indexKey(f.experiment), f.member, f.window),
      ),
    );
    if (this.registered.size + fresh.size > REGISTERED_LIMIT) this.registered.clear();
    for (const id of fresh.keys()) this.registered.add(id);
  }

  private async raiseMax(m: MaxWrite): Promise<void> {
    const key = shadowMaxKey(m.experiment, m.window, m.variant);
    for (let attempt = 0; attempt < MAX_CAS_ATTEMPTS; attempt++) {
      const entry = await this.store.get(key);
      const current = entry === undefined ? -Infinity : decodeDouble(entry.value);
      if (current >= m.value) return;
      try {
        await this.store.put(key, encodeDouble(m.value), { expectedVersion: entry?.version ?? 0 });
        return;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }
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
