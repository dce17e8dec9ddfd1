import { HASH, hashId, slotsFor } from './id-hash';

/**
 * A map that keeps at most `capacity` entries by generations: new and recently read entries go
 * to the current generation; when it holds capacity/2 entries it becomes the previous one and
 * the old previous generation is dropped whole. So the map always remembers at least the
 * capacity/2 most recently touched keys and never more than `capacity`, with O(1) work per
 * operation and no per-entry bookkeeping (an approximate LRU).
 */
export class BoundedMap<K, V> {
  private current = new Map<K, V>();
  private previous = new Map<K, V>();
  private readonly half: number;
  /** Entries dropped so far because the map was full. */
  evicted = 0;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** The value, and marks the key as recently used. */
  get(key: K): V | undefined {
    const value = this.current.get(key);
    if (value !== undefined) return value;
    const old = this.previous.get(key);
    if (old !== undefined) {
      this.previous.delete(key);
      this.insert(key, old);
    }
    return old;
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) {
      this.current.set(key, value);
      return;
    }
    this.previous.delete(key);
    this.insert(key, value);
  }

  /** Adds a key that {@link get} or {@link peek} just reported absent (saves two lookups). */
  insertAbsent(key: K, value: V): void {
    this.insert(key, value);
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private insert(key: K, value: V): void {
    this.current.set(key, value);
    if (this.current.size >= this.half) {
      this.evicted += this.previous.size;
      this.previous = this.current;
      this.current = new Map();
    }
  }
}

/**
 * The event ids seen recently, as 63-bit hashes ({@link hashId}), in
 * two generations like {@link BoundedMap}: remembers at least the last capacity/2 ids and at
 * most `capacity`. Each generation is an open-addressing table of two Uint32Arrays at load at
 * most 1/2, so an id costs 16 bytes whatever its length and nothing is allocated per event. Two
 * different ids collide with probability about capacity / 2^63 per lookup.
 */
export class RecentIds {
  private current: HashTable;
  private previous: HashTable;
  private readonly half: number;
  private hi = 0;
  private lo = 0;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
    this.current = new HashTable(this.half);
    this.previous = new HashTable(this.half);
  }

  /** True when the id (of this kind) was seen; remembers its hash for {@link addLast}. */
  has(kind: number, id: string): boolean {
    hashId(kind, id);
    this.hi = HASH.hi;
    this.lo = HASH.lo;
    return this.current.has(this.hi, this.lo) || this.previous.has(this.hi, this.lo);
  }

  /** Remembers the id of the last {@link has} call. */
  addLast(): void {
    this.current.add(this.hi, this.lo);
    if (this.current.size >= this.half) {
      const recycled = this.previous;
      recycled.clear();
      this.previous = this.current;
      this.current = recycled;
    }
  }
}

/** Open addressing with linear probing over (hi, lo) pairs; lo = 0 marks an empty slot. */
class HashTable {
  private readonly his: Uint32Array;
  private readonly los: Uint32Array;
  private readonly mask: number;
  size = 0;

  constructor(entries: number) {
    const slots = slotsFor(entries);
    this.his = new Uint32Array(slots);
    this.los = new Uint32Array(slots);
    this.mask = slots - 1;
  }

  has(hi: number, lo: number): boolean {
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = this.los[i];
      if (l === 0) return false;
      if (l === lo && this.his[i] === hi) return true;
    }
  }

  add(hi: number, lo: number): void {
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const l = this.los[i];
      if (l === 0) {
        this.his[i] = hi;
        this.los[i] = lo;
        this.size++;
        return;
      }
      if (l === lo && this.his[i] === hi) return;
    }
  }

  clear(): void {
    this.los.fill(0);
    this.size = 0;
  }
}
