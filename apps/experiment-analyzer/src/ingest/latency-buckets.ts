/**
 * Log-spaced latency buckets: bucket i holds latencies in (2^((i-1)/8), 2^(i/8)] microseconds
 * (bucket 0 holds everything up to 1 µs), so every bucket is about 9% wide and a percentile read
 * from the histogram is off by at most that. Bucket 288 ends at 2^36 µs (19 hours); anything
 * longer is counted in the last bucket.
 */

/** Buckets per doubling of latency. */
export const BUCKETS_PER_DOUBLING = 8;
/** Number of buckets. */
export const BUCKET_COUNT = 36 * BUCKETS_PER_DOUBLING + 1;

const { ceil, log2, pow } = Math;

const BOUNDS = Float64Array.from({ length: BUCKET_COUNT }, (_, i) =>
  pow(2, i / BUCKETS_PER_DOUBLING),
);

/** Upper bound of bucket i in microseconds. */
export function bucketUpperBound(index: number): number {
  return BOUNDS[index];
}

/** Bucket of a latency in microseconds. */
export function bucketOf(latencyUs: number): number {
  if (!(latencyUs > 1)) return 0;
  let index = ceil(log2(latencyUs) * BUCKETS_PER_DOUBLING);
  if (index >= BUCKET_COUNT) return BUCKET_COUNT - 1;
  // log2 may round up across an exact bound; the bound belongs to the lower bucket.
  if (BOUNDS[index - 1] >= latencyUs) index--;
  return index;
}
