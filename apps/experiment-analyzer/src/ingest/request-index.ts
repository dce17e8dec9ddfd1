import { HASH, hashId, slotsFor } from './id-hash';

/** Salt of request-id hashes (event kinds use 1..3). */
const REQUEST_KIND = 17;

/**
 * request id -> (variant ref, exposure time), bounded: two generations of open-addressing
 * tables over typed arrays keyed by the id's 63-bit hash, like the dedup tables. A request in
 * several experiments (several layers) has one slot per experiment in the same probe chain.
 * When the current generation holds capacity/2 slots it becomes the previous one and the old
 * previous one is cleared, so at least the last capacity/2 exposures are remembered and never
 * more than `capacity`: 20 bytes a slot, no strings kept, nothing allocated per event.
 */
export class RequestIndex {
  private current: RequestTable;
  private previous: RequestTable;
  private readonly half: number;
  /** Slots dropped so far because the index was full. */
  evicted = 0;

  constructor(capacity: number) {
    this.half = Math.max(1, Math.floor(capacity / 2));
    this.current = new RequestTable(this.half);
    this.previous = new RequestTable(this.half);
  }

  /** Records that the request was exposed to `ref` (by its id, see {@link RefRegistry}) at `timeMs`. */
  set(requestId: string, refId: number, experimentOf: (refId: number) => string, timeMs: number) {
    hashId(REQUEST_KIND, requestId);
    this.current.set(HASH.hi, HASH.lo, refId, experimentOf, timeMs);
    if (this.current.size >= this.half) {
      this.evicted += this.previous.size;
      const recycled = this.previous;
      recycled.clear();
      this.previous = this.current;
      this.current = recycled;
    }
  }

  /** The (ref id, time) pairs of a request, newest generation first, one per experiment. */
  get(requestId: string, experimentOf: (refId: number) => string): Array<[number, number]> {
    hashId(REQUEST_KIND, requestId);
    const found: Array<[number, number]> = [];
    this.current.collect(HASH.hi, HASH.lo, found);
    const fromCurrent = new Set(found.map(([ref]) => experimentOf(ref)));
    const older: Array<[number, number]> = [];
    this.previous.collect(HASH.hi, HASH.lo, older);
    for (const entry of older) if (!fromCurrent.has(experimentOf(entry[0]))) found.push(entry);
    return found;
  }

  get size(): number {
    return this.current.size + this.previous.size;
  }
}

class RequestTable {
  private readonly his: Uint32Array;
  private readonly los: Uint32Array;
  /** Ref id + 1 (0: empty). */
  private readonly refs: Uint32Array;
  private readonly times: Float64Array;
  private readonly mask: number;
  size = 0;

  constructor(entries: number) {
    const slots = slotsFor(entries);
    this.his = new Uint32Array(slots);
    this.los = new Uint32Array(slots);
    this.refs = new Uint32Array(slots);
    this.times = new Float64Array(slots);
    this.mask = slots - 1;
  }

  set(hi: number, lo: number, refId: number, experimentOf: (r: number) => string, t: number) {
    const experiment = experimentOf(refId);
    for (let i = hi & this.mask; ; i = (i + 1) & this.mask) {
      const r = this.refs[i];
      if (r === 0) {
        this.his[i] = hi;
        this.los[i] = lo;
        this.refs[i] = refId + 1;
        this.times[i] = t;
        this.size++;
        return;
      }
      if (this.los[i] === lo && this.his[i] === hi && experimentOf(r - 1) === experiment) {
        this.refs[i] = refId + 1;
        this.times[i] = t;
        return;
      }
    }
  }

  collect(hi: number, lo: number, out: Array<[number, number]>): void {
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
