/**
 * The sufficient statistics the analyzer keeps per variant and metric, and the checks every
 * function applies to them before doing arithmetic.
 */

import { InvalidArgumentError } from '@verdict/errors';

/** Sufficient statistics of a continuous metric: count, sum and sum of squares. */
export interface MeanSummary {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/** Sufficient statistics of a binary metric: trials and successes. */
export interface BinomialSummary {
  readonly n: number;
  readonly successes: number;
}

/** Sample mean and unbiased sample variance of one group. */
export interface Moments {
  readonly n: number;
  readonly mean: number;
  readonly variance: number;
}

/** Result shared by every two-group comparison. */
export interface Comparison {
  /** Treatment minus control (absolute) or treatment / control - 1 (relative). */
  readonly estimate: number;
  /** Standard error of `estimate`. */
  readonly se: number;
  /** Two-sided interval for the estimate at level 1 - alpha. */
  readonly ci: readonly [number, number];
  /** Two-sided p-value for "no difference". */
  readonly pValue: number;
  /** The test statistic (z or t) behind `pValue`. */
  readonly statistic: number;
  /** Degrees of freedom of a t statistic; Infinity for a normal one. */
  readonly df: number;
}

/** Options shared by the two-group comparisons. */
export interface ComparisonOptions {
  /**
   * Two-sided significance level; intervals have coverage 1 - alpha.
   * @default 0.05
   */
  readonly alpha?: number;
  /**
   * Report the relative lift treatment / control - 1 (delta method) instead of the difference.
   * @default false
   */
  readonly relative?: boolean;
}

/** Resolves {@link ComparisonOptions} to their defaults, checking alpha. */
export function comparisonDefaults(options: ComparisonOptions = {}): Required<ComparisonOptions> {
  const alpha = options.alpha ?? 0.05;
  requireProbability('alpha', alpha);
  return { alpha, relative: options.relative ?? false };
}

/** Throws unless `value` lies strictly between 0 and 1. */
export function requireProbability(field: string, value: number): void {
  if (!(value > 0 && value < 1)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a number strictly between 0 and 1',
      received: String(value),
    });
  }
}

/** Throws unless `value` is a finite number at least `min`. */
export function requireAtLeast(field: string, value: number, min: number): void {
  if (!(Number.isFinite(value) && value >= min)) {
    throw new InvalidArgumentError({
      field,
      expected: `a finite number ≥ ${min}`,
      received: String(value),
    });
  }
}

/** Checks a binomial summary: n ≥ minN (1 unless a prior alone is meaningful) and 0 ≤ successes ≤ n. */
export function checkBinomial(field: string, summary: BinomialSummary, minN = 1): void {
  requireAtLeast(`${field}.n`, summary.n, minN);
  requireAtLeast(`${field}.successes`, summary.successes, 0);
  if (summary.successes > summary.n) {
    throw new InvalidArgumentError({
      field: `${field}.successes`,
      expected: `at most n (${summary.n})`,
      received: String(summary.successes),
    });
  }
}

/**
 * Mean and unbiased variance from sufficient statistics.
 *
 * The one-pass formula loses digits when the mean is large against the spread (latencies around
 * 1000 ms that vary by 1 ms keep about 10 of 16 digits); producers should subtract a fixed offset
 * first in that case.
 */
export function momentsOf(field: string, summary: MeanSummary): Moments {
  requireAtLeast(`${field}.n`, summary.n, 2);
  if (!Number.isFinite(summary.sum) || !Number.isFinite(summary.sumSquares)) {
    throw new InvalidArgumentError({
      field,
      expected: 'finite sum and sum_squares',
      received: JSON.stringify(summary),
    });
  }
  const mean = summary.sum / summary.n;
  const variance = Math.max(0, (summary.sumSquares - summary.sum * mean) / (summary.n - 1));
  return { n: summary.n, mean, variance };
}
