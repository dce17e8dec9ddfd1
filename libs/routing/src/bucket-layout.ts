import { InvalidArgumentError } from '@verdict/errors';
import { BUCKET_COUNT } from './unit-hash';
import { runsOf, type BucketLayout, type BucketSpan } from './bucket-range';

/** A variant and its relative share of traffic. */
export interface WeightedVariant {
  readonly name: string;
  /** Relative, non-negative weight; weights need not sum to 1. */
  readonly weight: number;
}

const FREE = -1;

/**
 * Lays the 10,000 buckets out over `variants` in proportion to their weights, moving as few
 * buckets as possible away from the `previous` layout.
 *
 * - Bucket counts are whole numbers by the largest-remainder method (ties go to the variant
 *   listed first), so they sum to exactly 10,000 when the total weight is positive. With a
 *   total weight of 0 every variant gets no buckets.
 * - A variant keeps the buckets it held in `previous`. One that must shrink releases buckets
 *   from the end of its ranges (the highest buckets first); variants that were removed release
 *   all of theirs; buckets no one held are free as well. Variants that must grow, in the order
 *   given, take the lowest free buckets.
 * - So the buckets that change owner are exactly the sum of the positive differences between
 *   each variant's new count and what it held: no bucket moves between two variants that both
 *   keep or grow their share.
 *
 * An inconsistent `previous` (overlapping or out-of-range spans) is read leniently: spans are
 * clipped to `[0, 10000)` and a bucket claimed twice belongs to the variant listed first.
 *
 * @param previous - the layout in force, or undefined for a fresh one
 * @param variants - the variants, in their order of precedence
 * @returns ranges per variant name, in the order of `variants`, each sorted and merged
 * @throws InvalidArgumentError when a name is empty or repeated, or a weight is negative or
 *   not finite
 */
export function layoutBuckets(
  previous: BucketLayout | undefined,
  variants: readonly WeightedVariant[],
): Map<string, BucketSpan[]> {
  checkVariants(variants);
  const targets = bucketCounts(variants.map((variant) => variant.weight));
  const owner = new Int32Array(BUCKET_COUNT).fill(FREE);
  const held = claimPrevious(owner, previous, variants);

  for (let index = 0; index < variants.length; index++) {
    let excess = held[index] - targets[index];
    for (let bucket = BUCKET_COUNT - 1; excess > 0 && bucket >= 0; bucket--) {
      if (owner[bucket] === index) {
        owner[bucket] = FREE;
        excess--;
      }
    }
  }

  let bucket = 0;
  for (let index = 0; index < variants.length; index++) {
    let missing = targets[index] - held[index];
    for (; missing > 0 && bucket < BUCKET_COUNT; bucket++) {
      if (owner[bucket] === FREE) {
        owner[bucket] = index;
        missing--;
      }
    }
  }

  const layout = new Map<string, BucketSpan[]>();
  variants.forEach((variant, index) => layout.set(variant.name, runsOf(owner, index)));
  return layout;
}

/**
 * Whole bucket counts proportional to `weights` that sum to 10,000 (or all 0 when the weights
 * sum to 0), by the largest-remainder (Hamilton) method.
 */
export function bucketCounts(weights: readonly number[]): number[] {
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  if (total <= 0) return weights.map(() => 0);
  const quotas = weights.map((weight) => (weight / total) * BUCKET_COUNT);
  const counts = quotas.map((quota) => Math.floor(quota));
  let left = BUCKET_COUNT - counts.reduce((sum, count) => sum + count, 0);
  const byRemainder = quotas
    .map((quota, index) => ({ index, remainder: quota - counts[index] }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (let rank = 0; left > 0; rank = (rank + 1) % byRemainder.length, left--) {
    counts[byRemainder[rank].index]++;
  }
  return counts;
}

function checkVariants(variants: readonly WeightedVariant[]): void {
  const seen = new Set<string>();
  variants.forEach((variant, index) => {
    if (variant.name === '' || seen.has(variant.name)) {
      throw new InvalidArgumentError({
        field: `variants[${index}].name`,
        expected: 'a non-empty name unique among the variants',
        received: JSON.stringify(variant.name),
      });
    }
    seen.add(variant.name);
    if (!Number.isFinite(variant.weight) || variant.weight < 0) {
      throw new InvalidArgumentError({
        field: `variants[${index}].weight`,
        expected: 'a finite, non-negative number',
        received: String(variant.weight),
      });
    }
  });
}

/** Marks the buckets each listed variant held in `previous`; returns how many each holds. */
function claimPrevious(
  owner: Int32Array,
  previous: BucketLayout | undefined,
  variants: readonly WeightedVariant[],
): number[] {
  const held = variants.map(() => 0);
  if (previous === undefined) return held;
  variants.forEach((variant, index) => {
    for (const span of previous.get(variant.name) ?? []) {
      const start = Math.max(0, Math.ceil(span.start));
      const end = Math.min(BUCKET_COUNT, Math.floor(span.end));
      for (let bucket = start; bucket < end; bucket++) {
        if (owner[bucket] === FREE) {
          owner[bucket] = index;
          held[index]++;
        }
      }
    }
  });
  return held;
}

/**
 * The layout that route variants carry, for passing as `previous` to {@link layoutBuckets}.
 *
 * @param variants - anything with a name and bucket ranges, such as proto `RouteVariant`s
 */
export function layoutOf(
  variants: Iterable<{ readonly name: string; readonly buckets: readonly BucketSpan[] }>,
): Map<string, BucketSpan[]> {
  const layout = new Map<string, BucketSpan[]>();
  for (const variant of variants) {
    layout.set(variant.name, [...(layout.get(variant.name) ?? []), ...variant.buckets]);
  }
  return layout;
}
