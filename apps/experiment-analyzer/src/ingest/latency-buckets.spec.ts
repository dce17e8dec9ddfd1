import { BUCKET_COUNT, bucketOf, bucketUpperBound } from './latency-buckets';

describe('latency buckets', () => {
  it('puts every latency in the bucket whose half-open range (lower, upper] holds it', () => {
    const misplaced: number[] = [];
    for (let us = 0; us < 200_000; us += 7) {
      const i = bucketOf(us);
      if (us > bucketUpperBound(i) || (i > 0 && us <= bucketUpperBound(i - 1))) misplaced.push(us);
    }
    expect(misplaced).toEqual([]);
  });

  it('keeps exact bounds in the lower bucket and clamps the top', () => {
    for (let i = 1; i < BUCKET_COUNT; i++) expect(bucketOf(bucketUpperBound(i))).toBe(i);
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(1)).toBe(0);
    expect(bucketOf(1e15)).toBe(BUCKET_COUNT - 1);
    // 8 buckets per doubling: each is 2^(1/8) - 1 ≈ 9% wide.
    expect(bucketUpperBound(9) / bucketUpperBound(8)).toBeCloseTo(2 ** (1 / 8), 12);
  });
});
