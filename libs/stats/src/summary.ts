/**
 * The sufficient statistics the analyzer keeps per variant and metric, and the checks every
 * function applies to them before doing arithmetic.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { insufficient, tooFewUnits, type InsufficientData } from './insufficient';

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

/** Result shared by every two-group comparison; every field is a finite number. */
export interface Comparison {
  /**
   * Treatment minus control (absolute) or (treatment - control) / |control| (relative: the
   * sign always says which arm is higher, also for negative means).
   */
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
   * Report the relative effect (treatment - control) / |control| (delta method) instead of the
   * difference; refused as insufficient data when the control mean is indistinguishable from 0.
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

/** Checks a binomial summary is well-formed: 0 ≤ successes ≤ n (n = 0 is allowed: an empty arm). */
export function checkBinomial(field: string, summary: BinomialSummary): void {
  requireAtLeast(`${field}.n`, summary.n, 0);
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
 * Checks both binomial summaries and refuses arms with too few units
 * ({@link MIN_UNITS_PER_ARM}).
 */
export function binomialArms(
  control: BinomialSummary,
  treatment: BinomialSummary,
): InsufficientData | undefined {
  checkBinomial('control', control);
  checkBinomial('treatment', treatment);
  return tooFewUnits('control', control.n) ?? tooFewUnits('treatment', treatment.n);
}

/**
 * Mean and unbiased variance from sufficient statistics; insufficient data for fewer than
 * {@link MIN_UNITS_PER_ARM} units or a sum of squares below sum²/n (a negative variance, which
 * only a broken producer or cancellation beyond rounding can give).
 *
 * The one-pass formula loses digits when the mean is large against the spread (latencies around
 * 1000 ms that vary by 1 ms keep about 10 of 16 digits); producers should subtract a fixed offset
 * first in that case.
 */
export function momentsOf(field: string, summary: MeanSummary): Moments | InsufficientData {
  requireAtLeast(`${field}.n`, summary.n, 0);
  if (!Number.isFinite(summary.sum) || !Number.isFinite(summary.sumSquares)) {
    throw new InvalidArgumentError({
      field,
      expected: 'finite sum and sum_squares',
      received: JSON.stringify(summary),
    });
  }
  const few = tooFewUnits(field, summary.n);
  if (few !== undefined) return few;
  const mean = summary.sum / summary.n;
  const squares = summary.sumSquares - summary.sum * mean;
  if (squares < -ROUNDING * Math.max(1, Math.abs(summary.sumSquares))) {
    return insufficient(
      `${field}.sum_squares`,
      `${field} has a negative variance (sum_squares ${summary.sumSquares} < sum²/n ${summary.sum * mean})`,
    );
  }
  return { n: summary.n, mean, variance: Math.max(0, squares / (summary.n - 1)) };
}

/** Relative cancellation error of the one-pass sum of squares still taken for rounding. */
const ROUNDING = 1e-9;
