import fc from 'fast-check';
import { leafHash } from '@verdict/audit-client';
import { createMerkleTree, type MerkleTree } from './merkle-tree';
import { extendTree, levelCounts } from './tree-extension';
import { createTreeHasher } from './tree-hasher';

/** Records in payload framing: `u32 length | bytes` each. */
function frame(records: readonly Uint8Array[]): Buffer {
  return Buffer.concat(
    records.flatMap((record) => {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(record.length);
      return [prefix, record];
    }),
  );
}

/** The reference: one leaf at a time through `append`. */
function treeOf(records: readonly Uint8Array[]): MerkleTree {
  const tree = createMerkleTree();
  records.forEach((record) => tree.append(leafHash(record)));
  return tree;
}

const record = fc.uint8Array({ maxLength: 40 });

describe('extendTree', () => {
  it('gives a tree the same leaves and subtrees as appending one leaf at a time', () => {
    fc.assert(
      fc.property(fc.array(fc.array(record, { maxLength: 40 }), { maxLength: 8 }), (runs) => {
        const extended = createMerkleTree();
        const all: Uint8Array[] = [];
        for (const run of runs) {
          extended.appendExtension(extendTree(extended.size, extended.frontier(), frame(run)));
          all.push(...run);
          const reference = treeOf(all);
          expect(extended.size).toBe(all.length);
          expect(extended.frontier()).toEqual(reference.frontier());
          for (let size = 0; size <= all.length; size++)
            expect(extended.root(size).equals(reference.root(size))).toBe(true);
        }
        for (let index = 0; index < all.length; index++)
          expect(extended.leafHash(index).equals(leafHash(all[index]))).toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('counts the new complete subtrees of each level', () => {
    expect(levelCounts(0, 0)).toEqual([]);
    expect(levelCounts(0, 1)).toEqual([1]);
    expect(levelCounts(3, 1)).toEqual([1, 1, 1]);
    expect(levelCounts(5, 6)).toEqual([6, 3, 1, 1]);
  });

  it('refuses a payload that is not whole records', () => {
    const payload = frame([Buffer.from('abc')]);
    expect(() => extendTree(0, [], payload.subarray(0, 5))).toThrow(/inside the record/);
    expect(() => extendTree(0, [], payload.subarray(0, 2))).toThrow(/inside the length prefix/);
  });

  it('refuses a frontier without the sibling the run pairs with', () => {
    expect(() => extendTree(1, [], frame([Buffer.from('b')]))).toThrow(/level-0 subtree/);
  });

  it('leaves the tree unchanged when an extension was made for another size', () => {
    const tree = treeOf([Buffer.from('a'), Buffer.from('b'), Buffer.from('c')]);
    const root = tree.root();
    const stale = extendTree(2, tree.frontier(), frame([Buffer.from('d')]));
    expect(() => tree.appendExtension(stale)).toThrow(RangeError);
    expect(tree.size).toBe(3);
    expect(tree.root().equals(root)).toBe(true);
  });
});

describe('tree hasher (worker thread)', () => {
  it('answers jobs in order with what extendTree computes here', async () => {
    const hasher = createTreeHasher();
    try {
      const tree = createMerkleTree();
      const runs = [0, 1, 2, 3].map((run) =>
        Array.from({ length: 5 + run }, (_, i) => Buffer.from(`run ${run} record ${i}`)),
      );
      for (const run of runs) {
        const parts = [frame(run.slice(0, 2)), frame(run.slice(2))];
        const expected = extendTree(tree.size, tree.frontier(), frame(run));
        const extension = await hasher.extend(tree.size, tree.frontier(), parts);
        expect(extension.counts).toEqual(expected.counts);
        expect(Buffer.from(extension.hashes).equals(Buffer.from(expected.hashes))).toBe(true);
        tree.appendExtension(extension);
      }
      expect(tree.root().equals(treeOf(runs.flat()).root())).toBe(true);
    } finally {
      await hasher.close();
    }
  });

  it('reports a job that fails, and refuses jobs once closed', async () => {
    const hasher = createTreeHasher();
    await expect(hasher.extend(0, [], [Buffer.from([0, 0, 0, 9, 1])])).rejects.toThrow(
      /hashing a batch failed: payload ends inside the record/,
    );
    await hasher.close();
    await expect(hasher.extend(0, [], [frame([Buffer.from('a')])])).rejects.toThrow(/closed/);
  });
});
