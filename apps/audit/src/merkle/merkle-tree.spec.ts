import { createHash } from 'node:crypto';
import fc from 'fast-check';
import {
  createRootAccumulator,
  leafHash,
  verifyConsistency,
  verifyInclusion,
} from '@verdict/audit-client';
import { createMerkleTree } from './merkle-tree';

// The leaves and answers of the RFC 6962/9162 test vectors used by Certificate Transparency
// implementations (Go's transparency-dev/merkle testdata).
const LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((hex) => Buffer.from(hex, 'hex'));
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const INCLUSION: Array<[number, number, string[]]> = [
  [0, 1, []],
  [
    0,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    5,
    8,
    [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [2, 3, ['fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125']],
  [
    1,
    5,
    [
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];
const CONSISTENCY: Array<[number, number, string[]]> = [
  [1, 1, []],
  [
    1,
    8,
    [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  ],
  [
    6,
    8,
    [
      '0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  ],
  [
    2,
    5,
    [
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
    ],
  ],
];

const hex = (hashes: Buffer[]) => hashes.map((hash) => hash.toString('hex'));

/** MTH exactly as RFC 9162 section 2.1.1 writes it, over leaf data: the slowest correct answer. */
function specRoot(leaves: Buffer[]): Buffer {
  if (leaves.length === 0) return createHash('sha256').digest();
  if (leaves.length === 1) return leafHash(leaves[0]);
  let k = 1;
  while (k * 2 < leaves.length) k *= 2;
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(specRoot(leaves.slice(0, k)))
    .update(specRoot(leaves.slice(k)))
    .digest();
}

function treeOf(leaves: Buffer[]) {
  const tree = createMerkleTree();
  for (const leaf of leaves) tree.append(leafHash(leaf));
  return tree;
}

describe('RFC 9162 Merkle tree: known answers', () => {
  it('gives the published roots for sizes 0 to 8, for every prefix of one tree', () => {
    const tree = treeOf(LEAVES);
    for (let size = 0; size <= 8; size++) {
      expect(tree.root(size).toString('hex')).toBe(ROOTS[size]);
      expect(treeOf(LEAVES.slice(0, size)).root().toString('hex')).toBe(ROOTS[size]);
      const accumulator = createRootAccumulator();
      LEAVES.slice(0, size).forEach((leaf) => accumulator.add(leafHash(leaf)));
      expect(accumulator.root().toString('hex')).toBe(ROOTS[size]);
    }
  });

  it.each(INCLUSION)(
    'gives the published inclusion proof of leaf %i in tree %i, and it verifies',
    (index, size, proof) => {
      const tree = treeOf(LEAVES);
      expect(hex(tree.inclusionProof(index, size))).toEqual(proof);
      expect(
        verifyInclusion(
          index,
          size,
          leafHash(LEAVES[index]),
          tree.inclusionProof(index, size),
          Buffer.from(ROOTS[size], 'hex'),
        ),
      ).toBeUndefined();
    },
  );

  it.each(CONSISTENCY)(
    'gives the published consistency proof from %i to %i, and it verifies',
    (first, second, proof) => {
      const tree = treeOf(LEAVES);
      expect(hex(tree.consistencyProof(first, second))).toEqual(proof);
      expect(
        verifyConsistency(
          first,
          second,
          Buffer.from(ROOTS[first], 'hex'),
          Buffer.from(ROOTS[second], 'hex'),
          tree.consistencyProof(first, second),
        ),
      ).toBeUndefined();
    },
  );

  it('matches the specification recursion on larger trees (sizes 9 to 70, 255, 256, 257, 1000)', () => {
    const leaves = Array.from({ length: 1000 }, (_, i) => Buffer.from(`leaf-${i}`));
    const tree = treeOf(leaves);
    for (const size of [...Array.from({ length: 62 }, (_, i) => i + 9), 255, 256, 257, 1000]) {
      expect(tree.root(size).equals(specRoot(leaves.slice(0, size)))).toBe(true);
    }
  });

  it('refuses proofs outside the tree', () => {
    const tree = treeOf(LEAVES);
    expect(() => tree.inclusionProof(8, 8)).toThrow(/index/);
    expect(() => tree.inclusionProof(0, 9)).toThrow(/tree_size/);
    expect(() => tree.consistencyProof(0, 8)).toThrow(/first_size/);
    expect(() => tree.consistencyProof(5, 4)).toThrow(/first_size/);
  });
});

describe('RFC 9162 proofs: every proof verifies, every altered proof fails (fast-check)', () => {
  const leaves = Array.from({ length: 300 }, (_, i) => Buffer.from(`record ${i}`));
  const tree = treeOf(leaves);
  const roots = Array.from({ length: 301 }, (_, size) => tree.root(size));

  /** Flips one bit of one byte somewhere in the proof, or in the leaf hash when the proof is empty. */
  const alter = (hashes: Buffer[], which: number, byte: number, bit: number) => {
    const copy = hashes.map((hash) => Buffer.from(hash));
    copy[which % copy.length][byte] ^= 1 << bit;
    return copy;
  };

  it('inclusion', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 7 }),
        (size, rawIndex, which, byte, bit) => {
          const index = rawIndex % size;
          const proof = tree.inclusionProof(index, size);
          const leaf = tree.leafHash(index);
          expect(verifyInclusion(index, size, leaf, proof, roots[size])).toBeUndefined();
          if (proof.length > 0)
            expect(
              verifyInclusion(index, size, leaf, alter(proof, which, byte, bit), roots[size]),
            ).toBeDefined();
          expect(
            verifyInclusion(index, size, alter([leaf], 0, byte, bit)[0], proof, roots[size]),
          ).toBeDefined();
          expect(
            verifyInclusion(index, size, leaf, proof, alter([roots[size]], 0, byte, bit)[0]),
          ).toBeDefined();
          if (size > 1)
            expect(
              verifyInclusion((index + 1) % size, size, leaf, proof, roots[size]),
            ).toBeDefined();
        },
      ),
      { numRuns: 500 },
    );
  });

  it('consistency', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 300 }),
        fc.nat(),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 7 }),
        (a, b, which, byte, bit) => {
          const [first, second] = a <= b ? [a, b] : [b, a];
          const proof = tree.consistencyProof(first, second);
          expect(
            verifyConsistency(first, second, roots[first], roots[second], proof),
          ).toBeUndefined();
          if (proof.length > 0)
            expect(
              verifyConsistency(
                first,
                second,
                roots[first],
                roots[second],
                alter(proof, which, byte, bit),
              ),
            ).toBeDefined();
          expect(
            verifyConsistency(
              first,
              second,
              alter([roots[first]], 0, byte, bit)[0],
              roots[second],
              proof,
            ),
          ).toBeDefined();
          expect(
            verifyConsistency(
              first,
              second,
              roots[first],
              alter([roots[second]], 0, byte, bit)[0],
              proof,
            ),
          ).toBeDefined();
        },
      ),
      { numRuns: 500 },
    );
  });
});
