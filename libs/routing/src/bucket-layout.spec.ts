import fc from 'fast-check';
import { InvalidArgumentError } from '@verdict/errors';
import { bucketCounts, layoutBuckets, layoutOf, type WeightedVariant } from './bucket-layout';
import { spanSize, type BucketLayout } from './bucket-range';
import { BUCKET_COUNT } from './unit-hash';

const NONE = -1;

/**
 * Owner index (into `names`) of each bucket. Throws on overlapping, empty, unsorted or
 * unmerged spans (plain checks: `expect` per bucket would dominate the run time).
 */
function owners(layout: BucketLayout, names: readonly string[]): Int32Array {
  const owner = new Int32Array(BUCKET_COUNT).fill(NONE);
  for (const [name, spans] of layout) {
    spans.forEach((span, index) => {
      if (span.start >= span.end) throw new Error(`${name}: empty span ${JSON.stringify(span)}`);
      if (index > 0 && span.start <= spans[index - 1].end) {
        throw new Error(`${name}: span ${index} not after and apart from the one before`);
      }
      for (let bucket = span.start; bucket < span.end; bucket++) {
        if (owner[bucket] !== NONE) throw new Error(`bucket ${bucket} owned twice`);
        owner[bucket] = names.indexOf(name);
      }
    });
  }
  return owner;
}

const weight = fc.oneof(
  fc.constant(0),
  fc.integer({ min: 1, max: 100 }),
  fc.double({ min: 0, max: 1, noNaN: true }),
);

/** 1-6 variants drawn from a small name pool, so that consecutive sets share names. */
const variantSet = fc
  .uniqueArray(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { minLength: 1, maxLength: 6 })
  .chain((names) =>
    fc.tuple(...names.map((name) => weight.map((w): WeightedVariant => ({ name, weight: w })))),
  )
  .filter((variants) => variants.reduce((sum, v) => sum + v.weight, 0) > 0);

describe('bucketCounts', () => {
  it('gives whole counts summing to 10,000, each within 1 of its exact share', () => {
    fc.assert(
      fc.property(variantSet, (variants) => {
        const weights = variants.map((v) => v.weight);
        const total = weights.reduce((sum, w) => sum + w, 0);
        const counts = bucketCounts(weights);
        expect(counts.reduce((sum, c) => sum + c, 0)).toBe(BUCKET_COUNT);
        counts.forEach((count, index) => {
          expect(Number.isInteger(count)).toBe(true);
          expect(Math.abs(count - (weights[index] / total) * BUCKET_COUNT)).toBeLessThan(1);
        });
      }),
    );
  });

  it('gives the remainder to the largest remainders, ties to the earlier variant', () => {
    expect(bucketCounts([1, 1, 1])).toEqual([3334, 3333, 3333]);
    expect(bucketCounts([2, 1])).toEqual([6667, 3333]);
    expect(bucketCounts([0, 0])).toEqual([0, 0]);
  });
});

describe('layoutBuckets', () => {
  it('lays a fresh 50/50 split out as two contiguous halves', () => {
    const layout = layoutBuckets(undefined, [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ]);
    expect([...layout]).toEqual([
      ['a', [{ start: 0, end: 5000 }]],
      ['b', [{ start: 5000, end: 10000 }]],
    ]);
  });

  it('moves 50/50 to 60/40 by giving the end of B to A', () => {
    const before = layoutBuckets(undefined, [
      { name: 'a', weight: 50 },
      { name: 'b', weight: 50 },
    ]);
    const after = layoutBuckets(before, [
      { name: 'a', weight: 60 },
      { name: 'b', weight: 40 },
    ]);
    expect(after.get('a')).toEqual([
      { start: 0, end: 5000 },
      { start: 9000, end: 10000 },
    ]);
    expect(after.get('b')).toEqual([{ start: 5000, end: 9000 }]);
  });

  it('partitions [0, 10000) in proportion to the weights, from any previous layout', () => {
    fc.assert(
      fc.property(fc.option(variantSet, { nil: undefined }), variantSet, (first, second) => {
        const previous = first === undefined ? undefined : layoutBuckets(undefined, first);
        const layout = layoutBuckets(previous, second);
        const names = second.map((v) => v.name);
        expect([...layout.keys()]).toEqual(names);
        expect(owners(layout, names).includes(NONE)).toBe(false);
        const counts = bucketCounts(second.map((v) => v.weight));
        names.forEach((name, index) => expect(spanSize(layout.get(name)!)).toBe(counts[index]));
      }),
    );
  });

  it('moves buckets only from shrinking or removed variants to growing or new ones, and no more than needed', () => {
    fc.assert(
      fc.property(variantSet, variantSet, (first, second) => {
        const before = layoutBuckets(undefined, first);
        const after = layoutBuckets(before, second);
        const names = [...new Set([...first, ...second].map((v) => v.name))];
        const held = (layout: BucketLayout, name: string) => spanSize(layout.get(name) ?? []);
        const ownerBefore = owners(before, names);
        const ownerAfter = owners(after, names);
        const grew = names.map((name) => held(after, name) > held(before, name));
        const shrank = names.map((name) => held(after, name) < held(before, name));
        let moved = 0;
        let wrongWay = 0;
        for (let bucket = 0; bucket < BUCKET_COUNT; bucket++) {
          const from = ownerBefore[bucket];
          const to = ownerAfter[bucket];
          if (from === to) continue;
          moved++;
          if (to === NONE || !grew[to] || (from !== NONE && !shrank[from])) wrongWay++;
        }
        expect(wrongWay).toBe(0);
        const needed = second
          .map((v) => held(after, v.name) - held(before, v.name))
          .reduce((sum, delta) => sum + Math.max(0, delta), 0);
        expect(moved).toBe(needed);
      }),
    );
  });

  it('keeps a partition and moves only what it must across a chain of edits', () => {
    fc.assert(
      fc.property(fc.array(variantSet, { minLength: 2, maxLength: 6 }), (steps) => {
        let layout: BucketLayout | undefined;
        for (const variants of steps) {
          const next = layoutBuckets(layout, variants);
          const names = variants.map((v) => v.name);
          if (owners(next, names).includes(NONE)) return false;
          if (layout !== undefined) {
            const kept = names.reduce((sum, name) => {
              const was = layout!.get(name) ?? [];
              const now = next.get(name)!;
              let both = 0;
              for (const a of was)
                for (const b of now)
                  both += Math.max(0, Math.min(a.end, b.end) - Math.max(a.start, b.start));
              return sum + both;
            }, 0);
            const keepable = names.reduce(
              (sum, name) =>
                sum + Math.min(spanSize(layout!.get(name) ?? []), spanSize(next.get(name)!)),
              0,
            );
            if (kept !== keepable) return false;
          }
          layout = next;
        }
        return true;
      }),
    );
  });

  it('changes nothing when the weights do not change', () => {
    fc.assert(
      fc.property(variantSet, (variants) => {
        const layout = layoutBuckets(undefined, variants);
        expect(layoutBuckets(layout, variants)).toEqual(layout);
      }),
    );
  });

  it('releases a shrinking variant buckets from the end of its ranges', () => {
    const before = layoutBuckets(undefined, [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ]);
    const after = layoutBuckets(before, [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
      { name: 'c', weight: 2 },
    ]);
    expect(after.get('a')).toEqual([{ start: 0, end: 2500 }]);
    expect(after.get('b')).toEqual([{ start: 5000, end: 7500 }]);
    expect(after.get('c')).toEqual([
      { start: 2500, end: 5000 },
      { start: 7500, end: 10000 },
    ]);
  });

  it('gives no buckets to anyone when every weight is 0', () => {
    const layout = layoutBuckets(undefined, [
      { name: 'a', weight: 0 },
      { name: 'b', weight: 0 },
    ]);
    expect([...layout]).toEqual([
      ['a', []],
      ['b', []],
    ]);
  });

  it('reads an inconsistent previous layout leniently (clipped, first claim wins)', () => {
    const previous = new Map([
      ['a', [{ start: -5, end: 6000 }]],
      ['b', [{ start: 4000, end: 12_000 }]],
    ]);
    const layout = layoutBuckets(previous, [
      { name: 'a', weight: 1 },
      { name: 'b', weight: 1 },
    ]);
    expect(layout.get('a')).toEqual([{ start: 0, end: 5000 }]);
    expect(layout.get('b')).toEqual([{ start: 5000, end: 10000 }]);
  });

  it.each([
    { label: 'an empty name', variants: [{ name: '', weight: 1 }], field: 'variants[0].name' },
    {
      label: 'a repeated name',
      variants: [
        { name: 'a', weight: 1 },
        { name: 'a', weight: 2 },
      ],
      field: 'variants[1].name',
    },
    {
      label: 'a negative weight',
      variants: [{ name: 'a', weight: -1 }],
      field: 'variants[0].weight',
    },
    {
      label: 'a NaN weight',
      variants: [
        { name: 'a', weight: 1 },
        { name: 'b', weight: Number.NaN },
      ],
      field: 'variants[1].weight',
    },
    {
      label: 'an infinite weight',
      variants: [{ name: 'a', weight: Infinity }],
      field: 'variants[0].weight',
    },
  ])('rejects $label naming $field', ({ variants, field }) => {
    expect(() => layoutBuckets(undefined, variants)).toThrow(InvalidArgumentError);
    expect(() => layoutBuckets(undefined, variants)).toThrow(expect.objectContaining({ field }));
  });
});

describe('layoutOf', () => {
  it('reads the layout route variants carry', () => {
    const layout = layoutOf([
      { name: 'a', buckets: [{ start: 0, end: 10 }] },
      { name: 'b', buckets: [{ start: 10, end: 10000 }] },
    ]);
    expect(layout.get('b')).toEqual([{ start: 10, end: 10000 }]);
  });
});
