/**
 * The verifier's side of RFC 9162, written from the specification's verification algorithms
 * (sections 2.1.3.2 and 2.1.4.2) and kept apart from the log's prover so that a mistake in one
 * is not mirrored by the other.
 */
import { EMPTY_ROOT, HASH_BYTES, nodeHash, leafHash } from './merkle-hash';

/** Why a proof did not verify, or `undefined` when it did. */
export type ProofFailure = string | undefined;

/**
 * RFC 9162 section 2.1.3.2: checks that `leaf` (a leaf hash) sits at `index` in the tree of
 * `treeSize` leaves whose root is `root`.
 */
export function verifyInclusion(
  index: bigint | number,
  treeSize: bigint | number,
  leaf: Uint8Array,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): ProofFailure {
  const size = BigInt(treeSize);
  let fn = BigInt(index);
  if (fn < 0n || fn >= size) return `index ${fn} is outside a tree of size ${size}`;
  if (!proof.every((hash) => hash.length === HASH_BYTES))
    return `every proof hash must be ${HASH_BYTES} bytes`;
  let sn = size - 1n;
  let r: Uint8Array = leaf;
  for (const p of proof) {
    if (sn === 0n) return 'the proof is longer than the tree is deep';
    if ((fn & 1n) === 1n || fn === sn) {
      r = nodeHash(p, r);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return 'the proof is shorter than the tree is deep';
  return equal(r, root)
    ? undefined
    : 'the root computed from the proof differs from the expected root';
}

/**
 * RFC 9162 section 2.1.4.2: checks that the tree of `firstSize` leaves with root `firstRoot` is
 * a prefix of the tree of `secondSize` leaves with root `secondRoot`. Equal sizes need an empty
 * proof and equal roots; an empty first tree is a prefix of every tree.
 */
export function verifyConsistency(
  firstSize: bigint | number,
  secondSize: bigint | number,
  firstRoot: Uint8Array,
  secondRoot: Uint8Array,
  proof: readonly Uint8Array[],
): ProofFailure {
  const first = BigInt(firstSize);
  const second = BigInt(secondSize);
  if (first < 0n || first > second)
    return `first size ${first} must be between 0 and second size ${second}`;
  if (!proof.every((hash) => hash.length === HASH_BYTES))
    return `every proof hash must be ${HASH_BYTES} bytes`;
  if (first === 0n)
    return proof.length === 0 ? undefined : 'a proof from the empty tree must be empty';
  if (first === second) {
    if (proof.length !== 0) return 'a proof between equal sizes must be empty';
    return equal(firstRoot, secondRoot) ? undefined : 'equal sizes with different roots';
  }
  if (proof.length === 0) return 'the proof is empty';
  const path: Uint8Array[] = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1n;
  let sn = second - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr = path[0];
  let sr = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) return 'the proof is longer than expected';
    if ((fn & 1n) === 1n || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if ((fn & 1n) === 0n) {
        while ((fn & 1n) === 0n && fn !== 0n) {
          fn >>= 1n;
          sn >>= 1n;
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) return 'the proof is shorter than expected';
  if (!equal(fr, firstRoot)) return 'the proof does not lead to the first root';
  if (!equal(sr, secondRoot)) return 'the proof does not lead to the second root';
  return undefined;
}

/**
 * Computes RFC 9162 roots over a stream of leaf hashes with a stack of complete subtrees: the
 * way a verifier recomputes a root from exported records without holding the whole tree.
 */
export interface RootAccumulator {
  /** Number of leaves added. */
  readonly size: number;
  /** Adds the next leaf hash. */
  add(leafHash: Uint8Array): void;
  /** Root of the leaves added so far. */
  root(): Buffer;
}

/** Creates an empty {@link RootAccumulator}. */
export function createRootAccumulator(): RootAccumulator {
  // stack[i] is the root of a complete subtree; sizes strictly decrease towards the top.
  const stack: Buffer[] = [];
  let size = 0;
  return {
    get size() {
      return size;
    },
    add(leaf) {
      let hash: Buffer = Buffer.from(leaf);
      size += 1;
      for (let count = size; (count & 1) === 0; count >>>= 1) {
        hash = nodeHash(stack.pop()!, hash);
      }
      stack.push(hash);
    },
    root() {
      if (stack.length === 0) return Buffer.from(EMPTY_ROOT);
      let root = stack[stack.length - 1];
      for (let i = stack.length - 2; i >= 0; i--) root = nodeHash(stack[i], root);
      return root;
    },
  };
}

/** RFC 9162 root of the given leaves (raw leaf data, hashed here). */
export function rootOfLeaves(leaves: Iterable<Uint8Array>): Buffer {
  const accumulator = createRootAccumulator();
  for (const leaf of leaves) accumulator.add(leafHash(leaf));
  return accumulator.root();
}

function isPowerOfTwo(n: bigint): boolean {
  return n > 0n && (n & (n - 1n)) === 0n;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}
