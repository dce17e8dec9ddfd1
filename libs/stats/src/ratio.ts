/**
 * Ratio metrics: revenue per session, clicks per page view, latency per request. Units (users)
 * are randomized but the metric's denominator is not the unit, so the observations inside a unit
 * are correlated and a test on the pooled events would understate the variance. The delta method
 * gives the variance of R = Ȳ / X̄ from per-unit sums Y (numerator) and X (denominator):
 *
 *   Var(R) ≈ (s²_Y - 2R·s_XY + R²·s²_X) / (n·X̄²),
 *
 * which is the variance of the mean of the linearized values L_i = R + (Y_i - R·X_i) / X̄. Each
 * arm is turned into those moments (n, R, n·Var(R)), and every two-group test of the library
 * (Welch, mSPRT, Normal posterior; absolute or relative) runs on them unchanged.
 *
 * References: A. Deng, U. Knoblich and J. Lu, "Applying the Delta Method in Metric Analytics: A
 * Practical Guide with Novel Ideas", KDD 2018; R. Kohavi et al., Trustworthy Online Controlled
 * Experiments (2020), ch. 18.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { normalComparisonFromMoments, type BayesianComparison } from './bayesian';
import { welchTTestFromMoments } from './frequentist';
import { insufficient, isInsufficient, tooFewUnits, type InsufficientData } from './insufficient';
import {
  sequentialMeanTestFromMoments,
  type SequentialComparison,
  type SequentialOptions,
} from './sequential';
import { normalQuantile } from './special/normal';
import {
  comparisonDefaults,
  requireAtLeast,
  type Comparison,
  type ComparisonOptions,
  type Moments,
} from './summary';

/** Per-unit sums of a ratio metric for one arm: Y is the numerator, X the denominator of a unit. */
export interface RatioSummary {
  /** Units. */
  readonly n: number;
  /** Σ Y, Σ Y², Σ X, Σ X², Σ X·Y over units. */
  readonly sumY: number;
  readonly sumYSquares: number;
  readonly sumX: number;
  readonly sumXSquares: number;
  readonly sumXY: number;
}

/**
 * The linearized moments (n, R, n·Var(R)) of one arm's ratio. Insufficient data for fewer than
 * the minimum units, a negative variance, or a mean denominator within z_{1-α/2} standard errors
 * of 0 (the ratio is then unbounded).
 */
export function ratioMoments(
  field: string,
  s: RatioSummary,
  alpha = 0.05,
): Moments | InsufficientData {
  for (const key of ['sumY', 'sumYSquares', 'sumX', 'sumXSquares', 'sumXY'] as const) {
    if (!Number.isFinite(s[key])) {
      throw new InvalidArgumentError({
        field: `${field}.${key}`,
        expected: 'a finite number',
        received: String(s[key]),
      });
    }
  }
  requireAtLeast(`${field}.n`, s.n, 0);
  const few = tooFewUnits(field, s.n);
  if (few !== undefined) return few;
  const meanX = s.sumX / s.n;
  const meanY = s.sumY / s.n;
  const sxx = s.sumXSquares - s.sumX * meanX;
  const syy = s.sumYSquares - s.sumY * meanY;
  const sxy = s.sumXY - s.sumX * meanY;
  if (
    sxx < -ROUNDING * Math.max(1, s.sumXSquares) ||
    syy < -ROUNDING * Math.max(1, s.sumYSquares)
  ) {
    return insufficient(`${field}.sum_squares`, `${field} has a negative variance`);
  }
  const seX = Math.sqrt(Math.max(0, sxx) / (s.n - 1) / s.n);
  if (!(Math.abs(meanX) > normalQuantile(1 - alpha / 2) * seX)) {
    return insufficient(
      `${field}.sum_x`,
      `${field}'s mean denominator ${meanX} is indistinguishable from 0; the ratio is undefined`,
    );
  }
  const r = meanY / meanX;
  const linearized = (syy - 2 * r * sxy + r * r * sxx) / ((s.n - 1) * meanX * meanX);
  return { n: s.n, mean: r, variance: Math.max(0, linearized) };
}

/** Relative cancellation error of the one-pass sums of squares still taken for rounding. */
const ROUNDING = 1e-9;

/** Both arms' linearized moments, or the first refusal. */
function bothArms(
  control: RatioSummary,
  treatment: RatioSummary,
  alpha: number,
): [Moments, Moments] | InsufficientData {
  const c = ratioMoments('control', control, alpha);
  if (isInsufficient(c)) return c;
  const t = ratioMoments('treatment', treatment, alpha);
  if (isInsufficient(t)) return t;
  return [c, t];
}

/** Fixed-horizon test of a ratio metric: Welch's t-test on the linearized values. */
export function ratioTTest(
  control: RatioSummary,
  treatment: RatioSummary,
  options: ComparisonOptions = {},
): Comparison | InsufficientData {
  const arms = bothArms(control, treatment, comparisonDefaults(options).alpha);
  return isInsufficient(arms) ? arms : welchTTestFromMoments(arms[0], arms[1], options);
}

/** mSPRT of a ratio metric on the linearized values (σ² their pooled variance). */
export function ratioSequentialTest(
  control: RatioSummary,
  treatment: RatioSummary,
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const arms = bothArms(control, treatment, comparisonDefaults(options).alpha);
  return isInsufficient(arms) ? arms : sequentialMeanTestFromMoments(arms[0], arms[1], options);
}

/** Normal-posterior comparison of a ratio metric (flat prior on each arm's ratio). */
export function ratioBayesianComparison(
  control: RatioSummary,
  treatment: RatioSummary,
  options: ComparisonOptions = {},
): BayesianComparison | InsufficientData {
  const arms = bothArms(control, treatment, comparisonDefaults(options).alpha);
  return isInsufficient(arms) ? arms : normalComparisonFromMoments(arms[0], arms[1], options);
}
