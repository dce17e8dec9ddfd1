/**
 * Distribution-free confidence intervals for a percentile (latency p50, p99), from order
 * statistics: the number of observations below the true q-quantile is Binomial(n, q), so
 * [X₍ₗ₎, X₍ᵤ₎] with l = F⁻¹(α/2) and u = F⁻¹(1 - α/2) + 1 (F the Binomial(n, q) CDF, ranks from 1)
 * covers it with probability F(u - 1) - F(l - 1) ≥ 1 - α.
 *
 * Reference: W. J. Conover, Practical Nonparametric Statistics, 3rd ed. (1999), section 3.2;
 * H. A. David and H. N. Nagaraja, Order Statistics, 3rd ed. (2003), 7.1.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { requireProbability } from './summary';
import { binomialCdf, binomialQuantile } from './special/distributions';

/** Options for the percentile intervals. */
export interface PercentileOptions {
  /**
   * One minus the intended coverage.
   * @default 0.05
   */
  readonly alpha?: number;
}

/** A percentile with its order-statistic interval. */
export interface PercentileInterval {
  /** The sample q-quantile X₍⌈nq⌉₎ (the inverse of the empirical CDF). */
  readonly estimate: number;
  readonly ci: readonly [number, number];
  /** 1-based ranks of the interval's ends, after clamping to [1, n]. */
  readonly ranks: readonly [number, number];
  /** Exact coverage F(u - 1) - F(l - 1); below 1 - alpha only when a rank had to be clamped (small n). */
  readonly coverage: number;
}

/** Ranks (1-based) of the estimate and the interval ends for a sample of n and quantile q. */
export function percentileRanks(
  n: number,
  q: number,
  alpha: number,
): { estimate: number; lower: number; upper: number; coverage: number } {
  requireProbability('q', q);
  requireProbability('alpha', alpha);
  if (!(Number.isInteger(n) && n >= 1)) {
    throw new InvalidArgumentError({
      field: 'n',
      expected: 'a positive integer',
      received: String(n),
    });
  }
  const lower = Math.max(1, binomialQuantile(alpha / 2, n, q));
  const upper = Math.min(n, binomialQuantile(1 - alpha / 2, n, q) + 1);
  const coverage = binomialCdf(upper - 1, n, q) - binomialCdf(lower - 1, n, q);
  return { estimate: Math.min(n, Math.max(1, Math.ceil(n * q))), lower, upper, coverage };
}

/** Percentile and interval of a sample sorted ascending (not copied, not checked for order). */
export function percentileInterval(
  sortedSample: readonly number[],
  q: number,
  options: PercentileOptions = {},
): PercentileInterval {
  const ranks = percentileRanks(sortedSample.length, q, options.alpha ?? 0.05);
  return {
    estimate: sortedSample[ranks.estimate - 1],
    ci: [sortedSample[ranks.lower - 1], sortedSample[ranks.upper - 1]],
    ranks: [ranks.lower, ranks.upper],
    coverage: ranks.coverage,
  };
}

/**
 * The same interval from a histogram (the analyzer keeps latency as bucket counts). Bucket i
 * holds values in (bounds[i-1], bounds[i]], bucket 0 from `lowest`. A rank that falls inside a
 * bucket is reported by the bucket's far edge (lower bound for the lower end, upper bound for the
 * estimate and the upper end), so the interval is conservative by at most one bucket on each side.
 */
export function histogramPercentileInterval(
  bounds: readonly number[],
  counts: readonly number[],
  q: number,
  options: PercentileOptions & {
    /**
     * Lower edge of the first bucket.
     * @default 0
     */
    readonly lowest?: number;
  } = {},
): PercentileInterval {
  if (bounds.length !== counts.length || bounds.length === 0) {
    throw new InvalidArgumentError({
      field: 'counts',
      expected: `one count per bound (${bounds.length})`,
      received: `${counts.length}`,
    });
  }
  const n = counts.reduce((s, c) => s + c, 0);
  const ranks = percentileRanks(n, q, options.alpha ?? 0.05);
  const lowest = options.lowest ?? 0;
  const bucketOf = (rank: number): number => {
    let cumulative = 0;
    for (let i = 0; i < counts.length; i++) {
      cumulative += counts[i];
      if (cumulative >= rank) return i;
    }
    return counts.length - 1;
  };
  const lowerBucket = bucketOf(ranks.lower);
  return {
    estimate: bounds[bucketOf(ranks.estimate)],
    ci: [lowerBucket === 0 ? lowest : bounds[lowerBucket - 1], bounds[bucketOf(ranks.upper)]],
    ranks: [ranks.lower, ranks.upper],
    coverage: ranks.coverage,
  };
}
