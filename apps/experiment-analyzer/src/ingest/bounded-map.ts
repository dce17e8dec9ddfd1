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

  /** The value without touching recency. */
  peek(key: K): V | undefined {
    return this.current.get(key) ?? this.previous.get(key);
  }

  set(key: K, value: V): void {
    if (this.current.has(key)) {
      this.current.set(key, value);
      return;
    }
    this.previous.delete(key);
    this.insert(key, value);
  }

  delete(key: K): void {
    this.current.delete(key);
    this.previous.delete(key);
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
 * The event ids seen recently, as 53-bit hashes (two FNV-1a hashes with different offsets), in
 * generations like {@link BoundedMap}: remembers at least the last capacity/2 ids and at most
 * `capacity`. A hash instead of the id keeps an entry at a few dozen bytes whatever the id's
 * length; two different ids collide with probability about capacity / 2^53 per lookup.
 */
export class RecentIds {
  private current = new Set<number>();
  private previous = new Set<number>();
  private readonly half: number;

  constructor(readonly capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
  }

  /** True when the id was seen before; otherwise remembers it and returns false. */
  seen(hash: number): boolean {
    if (this.current.has(hash) || this.previous.has(hash)) return true;
    this.current.add(hash);
    if (this.current.size >= this.half) {
      this.previous = this.current;
      this.current = new Set();
    }
    return false;
  }

  /** Forgets an id (for an event that ended up not counted). */
  forget(hash: number): void {
    this.current.delete(hash);
    this.previous.delete(hash);
  }

  has(hash: number): boolean {
    return this.current.has(hash) || this.previous.has(hash);
  }
}

const { imul } = Math;

/** 53-bit hash of a string, salted by `kind` so that ids of different event kinds never meet. */
export function idHash(kind: number, id: string): number {
  let a = (0x811c9dc5 ^ kind) >>> 0;
  let b = (0x01000193 ^ imul(kind + 1, 0x9e3779b9)) >>> 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = imul(a ^ c, 0x01000193);
    b = imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  return (a >>> 0) * 0x200000 + ((b >>> 0) & 0x1fffff);
}
