import { HASH, hashId, slotsFor } from './id-hash';

/** A (variant ref id, exposure time in epoch ms) pair. */
export type Slot = [refId: number, timeMs: number];

/**
 * id -> one (variant ref, exposure time) per experiment, bounded: two generations of
 * open-addressing tables over typed arrays keyed by the id's 63-bit hash (salted by `kind`).
 * When the current generation holds capacity/2 slots it becomes the previous one and the old
 * previous one is cleared, so at least the last capacity/2 written slots are remembered and never
 * more than `capacity`: 20 bytes a slot, no strings kept, nothing allocated per write. A slot
 * found only in the previous generation is copied to the current one when written or read
 * (an approximate LRU), so ids in use stay.
 */
export class AssignmentIndex {
  private current: Table;
  private previous: Table;
  private readonly half: number;
  /** Slots dropped so far because the index was full. */
  evicted = 0;

  /** `experimentOf` names the experiment of a ref id (one slot per id and experiment). */
  constructor(
    capacity: number,
    private readonly kind: number,
    private readonly experimentOf: (refId: number) => string,
  ) {
    this.half = Math.max(1, Math.floor(capacity / 2));
    this.current = new Table(this.half, experimentOf);
    this.previous = new Table(this.half, experimentOf);
  }

  /**
   * Records an exposure of `id` to a ref; true when the id had no slot for the ref's experiment
   * (a first exposure, as far as this index remembers).
   */
  set(id: string, refId: number, timeMs: number): boolean {
    hashId(this.kind, id);
    const { hi, lo } = HASH;
    const experiment = this.experimentOf(refId);
    if (this.current.update(hi, lo, experiment, refId, timeMs)) return false;
    const known = this.previous.find(hi, lo, experiment) >= 0;
    this.insert(hi, lo, refId, timeMs);
    return !known;
  }

  /** The slots of an id, one per experiment, newest generation first. */
  get(id: string): Slot[] {
    hashId(this.kind, id);
    const { hi, lo } = HASH;
    const found: Slot[] = [];
    this.current.collect(hi, lo, found);
    const older: Slot[] = [];
    this.previous.collect(hi, lo, older);
    if (older.length === 0) return found;
    const seen = new Set(found.map(([ref]) => this.experimentOf(ref)));
    for (const slot of older) {
      if (seen.has(this.experimentOf(slot[0]))) continue;
      found.push(slot);
      this.insert(hi, lo, slot[0], slot[1]);
    }
    return found;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }

  private insert(hi: number, lo: number, refId: number, timeMs: number): void {
    this.current.add(hi, lo, refId, timeMs);
    if (this.current.size >= this.half) {
      this.evicted += this.previous.size;
      const recycled = this.previous;
      recycled.clear();
      this.previous = this.current;
      this.current = recycled;
    }
  }
}

class Table {
  private readonly his: Uint32Array;
  private readonly los: Uint32Array;
  /** Ref id + 1 (0: empty). */
  private readonly refs: Uint32Array;
  private readonly times: Float64Array;
  private readonly mask: number;
  size = 0;

  constructor(
    entries: number,
    private readonly experimentOf: (refId: number) => string,
  ) {
    const slots = slotsFor(entries);
    this.his = new Uint32Array(slots);
    this.los = new Uint32Array(slots);
    this.refs = new Uint32Array(slots);
    this.times = new Float64Array(slots);
    this.mask = slots - 1;
  }

  /** Index of the slot of (id hash, experiment), or -1. */
  find(hi: number, lo: number, experiment: string): number {
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const r = this.refs[i];
      if (r === 0) return -1;
      if (this.los[i] === lo && this.his[i] === hi && this.experimentOf(r - 1) === experiment) {
        return i;
      }
    }
  }

  /** Overwrites the slot of (id hash, the ref's experiment); false when there is none. */
  update(hi: number, lo: number, experiment: string, refId: number, timeMs: number): boolean {
    const i = this.find(hi, lo, experiment);
    if (i < 0) return false;
    this.refs[i] = refId + 1;
    this.times[i] = timeMs;
    return true;
  }

  /** Adds a slot (the caller knows there is none for this experiment). */
  add(hi: number, lo: number, refId: number, timeMs: number): void {
    let i = hi & this.mask;
    while (this.refs[i] !== 0) i = (i + 1) & this.mask;
    this.his[i] = hi;
    this.los[i] = lo;
    this.refs[i] = refId + 1;
    this.times[i] = timeMs;
    this.size++;
  }

  collect(hi: number, lo: number, out: Slot[]): void {
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const r = this.refs[i];
      if (r === 0) return;
      if (this.los[i] === lo && this.his[i] === hi) out.push([r - 1, this.times[i]]);
    }
  }

  clear(): void {
    this.refs.fill(0);
    this.size = 0;
  }
}
