/** A half-open range `[start, end)` of hash buckets; structurally a proto `BucketRange`. */
export interface BucketSpan {
  readonly start: number;
  readonly end: number;
}

/**
 * Where each variant's buckets lie: variant name to its ranges, sorted, merged and disjoint
 * from every other variant's. Iteration follows the order the variants were given in.
 */
export type BucketLayout = ReadonlyMap<string, readonly BucketSpan[]>;

/** Whether `bucket` lies in one of `spans`. */
export function spansContain(spans: readonly BucketSpan[], bucket: number): boolean {
  for (const span of spans) {
    if (bucket >= span.start && bucket < span.end) return true;
  }
  return false;
}

/** Number of buckets the (disjoint) spans cover. */
export function spanSize(spans: readonly BucketSpan[]): number {
  let size = 0;
  for (const span of spans) size += span.end - span.start;
  return size;
}

/**
 * The maximal runs of `owner[b] === index`, as sorted, merged spans.
 *
 * @param owner - owner index per bucket
 * @param index - the owner whose runs are wanted
 */
export function runsOf(owner: ArrayLike<number>, index: number): BucketSpan[] {
  const spans: BucketSpan[] = [];
  let start = -1;
  for (let bucket = 0; bucket < owner.length; bucket++) {
    if (owner[bucket] === index) {
      if (start < 0) start = bucket;
    } else if (start >= 0) {
      spans.push({ start, end: bucket });
      start = -1;
    }
  }
  if (start >= 0) spans.push({ start, end: owner.length });
  return spans;
}
