import { DataLossError } from '@verdict/errors';
import type { ScannedEntry, SortedMember, SortedRangeOptions, StreamRecord } from '../store';
import { formatOffset } from '../offsets';
import { compareUtf8 } from '../utf8-order';
import type { Mutation } from './mutation';
import { lowerBound, upperBound } from './sorted-array';

interface StoredEntry {
  readonly value: Uint8Array;
  readonly version: number;
}

interface SortedSet {
  readonly scores: Map<string, number>;
  /** Members by (score, member in UTF-8 order), as Redis orders them. */
  readonly order: SortedMember[];
}

/**
 * The memory store's whole state, changed only through {@link apply} so that live calls and the
 * replay of the log go through the same code. Returned bytes are the stored arrays: callers
 * copy before handing them out.
 */
export class MemoryState {
  private readonly entries = new Map<string, StoredEntry>();
  /** Keys of `entries` in UTF-8 order, for ordered scans. */
  private readonly keys: string[] = [];
  private readonly counters = new Map<string, number>();
  private readonly sortedSets = new Map<string, SortedSet>();
  /** Entry with sequence number n sits at index n - 1. */
  private readonly streams = new Map<string, Uint8Array[]>();
  private readonly offsets = new Map<string, Map<string, string>>();

  apply(mutation: Mutation): void {
    switch (mutation.kind) {
      case 'put':
        if (!this.entries.has(mutation.key)) {
          this.keys.splice(lowerBound(this.keys, mutation.key, compareUtf8), 0, mutation.key);
        }
        this.entries.set(mutation.key, { value: mutation.value, version: mutation.version });
        return;
      case 'delete':
        if (this.entries.delete(mutation.key)) {
          this.keys.splice(lowerBound(this.keys, mutation.key, compareUtf8), 1);
        }
        return;
      case 'counter':
        this.counters.set(mutation.key, mutation.value);
        return;
      case 'sortedAdd':
        this.sortedAdd(mutation.set, mutation.member, mutation.score);
        return;
      case 'sortedRemove':
        this.sortedRemove(mutation.set, mutation.member);
        return;
      case 'append':
        this.append(mutation.stream, mutation.sequence, mutation.entry);
        return;
      case 'offset': {
        let consumers = this.offsets.get(mutation.stream);
        if (consumers === undefined) {
          consumers = new Map();
          this.offsets.set(mutation.stream, consumers);
        }
        consumers.set(mutation.consumer, mutation.offset);
        return;
      }
    }
  }

  entry(key: string): StoredEntry | undefined {
    return this.entries.get(key);
  }

  counter(key: string): number {
    return this.counters.get(key) ?? 0;
  }

  hasCounter(key: string): boolean {
    return this.counters.has(key);
  }

  scan(prefix: string, after: string | undefined, limit: number): ScannedEntry[] {
    const start =
      after !== undefined && compareUtf8(after, prefix) >= 0
        ? upperBound(this.keys, after, compareUtf8)
        : lowerBound(this.keys, prefix, compareUtf8);
    const result: ScannedEntry[] = [];
    for (let i = start; i < this.keys.length && result.length < limit; i++) {
      const key = this.keys[i]!;
      if (!key.startsWith(prefix)) {
        break;
      }
      const stored = this.entries.get(key)!;
      result.push({ key, value: stored.value, version: stored.version });
    }
    return result;
  }

  sortedScore(set: string, member: string): number | undefined {
    return this.sortedSets.get(set)?.scores.get(member);
  }

  sortedRange(
    set: string,
    options: Required<Omit<SortedRangeOptions, 'limit'>> & { limit: number },
  ): SortedMember[] {
    const sorted = this.sortedSets.get(set);
    if (sorted === undefined || options.min > options.max) {
      return [];
    }
    const byScore = (element: SortedMember, score: number) => element.score - score;
    const from = lowerBound(sorted.order, options.min, byScore);
    const to = upperBound(sorted.order, options.max, byScore);
    const count = Math.min(options.limit, to - from);
    return options.reverse
      ? sorted.order.slice(to - count, to).reverse()
      : sorted.order.slice(from, from + count);
  }

  streamLength(stream: string): number {
    return this.streams.get(stream)?.length ?? 0;
  }

  read(stream: string, afterSequence: number, limit: number): StreamRecord[] {
    const entries = this.streams.get(stream);
    if (entries === undefined || afterSequence >= entries.length) {
      return [];
    }
    const end = Math.min(entries.length, afterSequence + limit);
    const result: StreamRecord[] = [];
    for (let index = afterSequence; index < end; index++) {
      result.push({ offset: formatOffset(index + 1), entry: entries[index]! });
    }
    return result;
  }

  offset(stream: string, consumer: string): string | undefined {
    return this.offsets.get(stream)?.get(consumer);
  }

  /** The whole state as mutations that rebuild it, for compaction. */
  *snapshot(): Generator<Mutation> {
    for (const key of this.keys) {
      const stored = this.entries.get(key)!;
      yield { kind: 'put', key, version: stored.version, value: stored.value };
    }
    for (const [key, value] of this.counters) {
      yield { kind: 'counter', key, value };
    }
    for (const [set, sorted] of this.sortedSets) {
      for (const { member, score } of sorted.order) {
        yield { kind: 'sortedAdd', set, member, score };
      }
    }
    for (const [stream, entries] of this.streams) {
      for (let index = 0; index < entries.length; index++) {
        yield { kind: 'append', stream, sequence: index + 1, entry: entries[index]! };
      }
    }
    for (const [stream, consumers] of this.offsets) {
      for (const [consumer, offset] of consumers) {
        yield { kind: 'offset', stream, consumer, offset };
      }
    }
  }

  private sortedAdd(set: string, member: string, score: number): void {
    let sorted = this.sortedSets.get(set);
    if (sorted === undefined) {
      sorted = { scores: new Map(), order: [] };
      this.sortedSets.set(set, sorted);
    }
    const previous = sorted.scores.get(member);
    if (previous !== undefined) {
      sorted.order.splice(lowerBound(sorted.order, { member, score: previous }, compareMembers), 1);
    }
    sorted.scores.set(member, score);
    sorted.order.splice(lowerBound(sorted.order, { member, score }, compareMembers), 0, {
      member,
      score,
    });
  }

  private sortedRemove(set: string, member: string): void {
    const sorted = this.sortedSets.get(set);
    const score = sorted?.scores.get(member);
    if (sorted === undefined || score === undefined) {
      return;
    }
    sorted.scores.delete(member);
    sorted.order.splice(lowerBound(sorted.order, { member, score }, compareMembers), 1);
    if (sorted.scores.size === 0) {
      this.sortedSets.delete(set);
    }
  }

  private append(stream: string, sequence: number, entry: Uint8Array): void {
    let entries = this.streams.get(stream);
    if (entries === undefined) {
      entries = [];
      this.streams.set(stream, entries);
    }
    if (sequence > entries.length + 1 || sequence < 1) {
      throw new DataLossError(
        `stream '${stream}': entry ${sequence} follows entry ${entries.length}; the store log is inconsistent`,
      );
    }
    // A sequence already present comes from a record replayed after a snapshot that had it.
    entries[sequence - 1] = entry;
  }
}

function compareMembers(a: SortedMember, b: SortedMember): number {
  return a.score - b.score || compareUtf8(a.member, b.member);
}
