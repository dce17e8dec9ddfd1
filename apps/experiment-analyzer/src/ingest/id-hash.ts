const { imul } = Math;

/** The last hash computed by {@link hashId}: 32 high bits and 31 low bits (lo is odd, never 0). */
export const HASH = { hi: 0, lo: 0 };

/**
 * A 63-bit hash of an id, salted by `kind`, written to {@link HASH} (no allocation): two
 * 32-bit FNV-1a-style hashes of the UTF-16 code units, the first with a final mix so that ids
 * differing only in their last characters spread over a table. `lo` is made odd so that 0 can
 * mark an empty slot.
 */
export function hashId(kind: number, id: string): void {
  let a = (0x811c9dc5 ^ kind) >>> 0;
  let b = (0x01000193 ^ imul(kind + 1, 0x9e3779b9)) >>> 0;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    a = imul(a ^ c, 0x01000193);
    b = imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = imul(a ^ (a >>> 16), 0x85ebca6b);
  a ^= a >>> 13;
  HASH.hi = a >>> 0;
  HASH.lo = (b | 1) >>> 0;
}

/** Slots of an open-addressing table for `entries` keys at load at most 1/2 (a power of 2). */
export function slotsFor(entries: number): number {
  let slots = 16;
  while (slots < entries * 2) slots *= 2;
  return slots;
}
