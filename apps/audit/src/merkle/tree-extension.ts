/**
 * The hashing half of appending a run of records to the Merkle tree, as a pure function that a
 * worker thread can run while the log writes the same records: their RFC 9162 leaf hashes and
 * every interior node hash those leaves complete. The tree then takes the result with a copy
 * ({@link MerkleTree.appendExtension}), no hashing. This file imports only Node: a worker loads
 * it without the workspace's module mapping.
 */
import { hash } from 'node:crypto';

const HASH_BYTES = 32;
const LENGTH_BYTES = 4;

/** What a run of leaves adds to each level of the tree. */
export interface TreeExtension {
  /** The new level-0 hashes (leaves), then the new level-1 hashes, and so on; 32 bytes each. */
  hashes: Uint8Array;
  /** How many of `hashes` belong to each level, level 0 first. */
  counts: number[];
}

/**
 * The left siblings a run appended to a tree of `size` leaves pairs with: entry `k` is the
 * last complete subtree of 2^k leaves when `size >> k` is odd (it still waits for its right
 * sibling), and undefined otherwise.
 */
export type Frontier = readonly (Uint8Array | undefined)[];

// RFC 9162 hash inputs, refilled for every hash: 0x00 || record, and 0x01 || left || right.
let leafInput = new Uint8Array(4096);
const nodeInput = new Uint8Array(1 + 2 * HASH_BYTES).fill(0x01, 0, 1);

/**
 * Hashes the records in `payload` (`u32 big-endian length | record bytes`, back to back) as
 * leaves appended to a tree of `size` leaves whose frontier is `frontier`. Throws RangeError if
 * the payload is not whole records or the frontier lacks a sibling the run needs.
 */
export function extendTree(size: number, frontier: Frontier, payload: Uint8Array): TreeExtension {
  const starts = recordStarts(payload);
  const leaves = starts.length - 1;
  const counts = levelCounts(size, leaves);
  const hashes = new Uint8Array(counts.reduce((sum, count) => sum + count, 0) * HASH_BYTES);
  for (let i = 0; i < leaves; i++) {
    const record = payload.subarray(starts[i] + LENGTH_BYTES, starts[i + 1]);
    if (record.length + 1 > leafInput.length) leafInput = new Uint8Array(record.length * 2);
    leafInput[0] = 0x00;
    leafInput.set(record, 1);
    hashes.set(hash('sha256', leafInput.subarray(0, record.length + 1), 'buffer'), i * HASH_BYTES);
  }
  // Level k's new hashes start at `at`; each odd position among them closes a pair.
  let at = 0;
  for (let level = 0; level + 1 < counts.length; level++) {
    const oldCount = Math.floor(size / 2 ** level);
    const next = at + counts[level] * HASH_BYTES;
    let written = 0;
    for (let position = oldCount; position < oldCount + counts[level]; position++) {
      if ((position & 1) === 0) continue;
      const right = at + (position - oldCount) * HASH_BYTES;
      const left =
        position === oldCount
          ? frontierAt(frontier, level)
          : hashes.subarray(right - HASH_BYTES, right);
      nodeInput.set(left, 1);
      nodeInput.set(hashes.subarray(right, right + HASH_BYTES), 1 + HASH_BYTES);
      hashes.set(hash('sha256', nodeInput, 'buffer'), next + written * HASH_BYTES);
      written += 1;
    }
    at = next;
  }
  return { hashes, counts };
}

/**
 * How many new hashes each level gets when `leaves` leaves join a tree of `size`: level k
 * grows from `size >> k` to `(size + leaves) >> k` complete subtrees. Levels with none are left
 * off the end.
 */
export function levelCounts(size: number, leaves: number): number[] {
  const counts: number[] = [];
  for (let level = 0; ; level++) {
    const added = Math.floor((size + leaves) / 2 ** level) - Math.floor(size / 2 ** level);
    if (added === 0) return counts;
    counts.push(added);
  }
}

/** Offsets of each record's length prefix in `payload`, and the payload's end last. */
function recordStarts(payload: Uint8Array): number[] {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const starts: number[] = [];
  let at = 0;
  while (at < payload.length) {
    starts.push(at);
    if (at + LENGTH_BYTES > payload.length)
      throw new RangeError(`payload ends inside the length prefix at byte ${at}`);
    at += LENGTH_BYTES + view.getUint32(at);
    if (at > payload.length) throw new RangeError(`payload ends inside the record at byte ${at}`);
  }
  starts.push(at);
  return starts;
}

function frontierAt(frontier: Frontier, level: number): Uint8Array {
  const sibling = frontier[level];
  if (sibling?.length !== HASH_BYTES)
    throw new RangeError(`the frontier lacks the level-${level} subtree the run pairs with`);
  return sibling;
}
