import { hash } from 'node:crypto';

/** Number of hash buckets a unit can fall into; bucket ranges are half-open over `[0, BUCKET_COUNT)`. */
export const BUCKET_COUNT = 10_000;

/**
 * The bucket of `unit` under `salt`: the first four bytes of SHA-256 over the UTF-8 bytes of
 * `salt + ":" + unit`, read as an unsigned big-endian 32-bit integer, modulo 10,000.
 *
 * This is the contract every client can reproduce (docs/routing.md shows it in Python); the
 * vectors in fixtures/hash-vectors.json pin it. The modulo bias of 2^32 mod 10,000 is below
 * 3e-6 per bucket, far under any split an experiment can measure. A string that is not valid
 * Unicode (a lone surrogate) is encoded with U+FFFD in its place, as Node encodes UTF-8.
 *
 * One-shot `crypto.hash` (Node >= 20.12) rather than `createHash`: no Hash object per call.
 *
 * @param salt - an experiment's salt, or a layer's name when placing a unit in a layer
 * @param unit - the unit id (user, session, device or request id)
 * @returns an integer in `[0, 10000)`
 */
export function unitBucket(salt: string, unit: string): number {
  return hash('sha256', `${salt}:${unit}`, 'buffer').readUInt32BE(0) % BUCKET_COUNT;
}
