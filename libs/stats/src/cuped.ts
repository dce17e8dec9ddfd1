/**
 * CUPED: variance reduction with a pre-experiment covariate X (the same metric measured before
 * exposure). Each outcome is replaced by Y - θ(X - X̄) with θ = Cov(X, Y) / Var(X) pooled over
 * both groups; because X is independent of assignment, the difference of adjusted means is still
 * unbiased and its variance shrinks by the factor 1 - ρ².
 *
 * Reference: A. Deng, Y. Xu, R. Kohavi and T. Walker, "Improving the Sensitivity of Online
 * Controlled Experiments by Utilizing Pre-Experiment Data", WSDM 2013.
 */

import { welchTTestFromMoments } from './frequentist';
import { tooFewUnits, type InsufficientData } from './insufficient';
import { requireAtLeast, type Comparison, type ComparisonOptions, type Moments } from './summary';

/** Sufficient statistics of an outcome Y and its pre-period covariate X. */
export interface CovariateSummary {
  readonly n: number;
  readonly sumY: number;
  readonly sumYSquares: number;
  readonly sumX: number;
  readonly sumXSquares: number;
  readonly sumXY: number;
}

/** Result of a CUPED-adjusted comparison. */
export interface CupedResult {
  /** The regression coefficient θ used for both groups. */
  readonly theta: number;
  /** Adjusted means and variances of each group. */
  readonly control: Moments;
  readonly treatment: Moments;
  /** Fraction of the difference's variance removed: 1 - Var(adjusted) / Var(unadjusted). */
  readonly varianceReduction: number;
  /** Welch's t-test on the adjusted outcomes (refused when they do not vary). */
  readonly comparison: Comparison | InsufficientData;
}

interface Centered {
  readonly n: number;
  readonly meanY: number;
  readonly meanX: number;
  /** Sums of squared and cross deviations from the group's own means. */
  readonly syy: number;
  readonly sxx: number;
  readonly sxy: number;
}

function center(field: string, s: CovariateSummary): Centered {
  requireAtLeast(`${field}.n`, s.n, 0);
  const meanY = s.sumY / s.n;
  const meanX = s.sumX / s.n;
  return {
    n: s.n,
    meanY,
    meanX,
    syy: s.sumYSquares - s.sumY * meanY,
    sxx: s.sumXSquares - s.sumX * meanX,
    sxy: s.sumXY - s.sumX * meanY,
  };
}

/** Welch's t-test on CUPED-adjusted outcomes; insufficient data for an arm below the minimum. */
export function cuped(
  control: CovariateSummary,
  treatment: CovariateSummary,
  options: ComparisonOptions = {},
): CupedResult | InsufficientData {
  const few = tooFewUnits('control', control.n) ?? tooFewUnits('treatment', treatment.n);
  if (few !== undefined) return few;
  const c = center('control', control);
  const t = center('treatment', treatment);
  const n = c.n + t.n;
  const meanX = (c.n * c.meanX + t.n * t.meanX) / n;
  const meanY = (c.n * c.meanY + t.n * t.meanY) / n;
  // Pooled moments about the grand means: within-group sums plus the between-group part.
  const pooledXY =
    c.sxy +
    t.sxy +
    c.n * (c.meanX - meanX) * (c.meanY - meanY) +
    t.n * (t.meanX - meanX) * (t.meanY - meanY);
  const pooledXX = c.sxx + t.sxx + c.n * (c.meanX - meanX) ** 2 + t.n * (t.meanX - meanX) ** 2;
  const theta = pooledXX > 0 ? pooledXY / pooledXX : 0;
  const adjust = (g: Centered): Moments => ({
    n: g.n,
    mean: g.meanY - theta * (g.meanX - meanX),
    variance: Math.max(0, (g.syy - 2 * theta * g.sxy + theta * theta * g.sxx) / (g.n - 1)),
  });
  const adjustedControl = adjust(c);
  const adjustedTreatment = adjust(t);
  const before = c.syy / (c.n - 1) / c.n + t.syy / (t.n - 1) / t.n;
  const after = adjustedControl.variance / c.n + adjustedTreatment.variance / t.n;
  return {
    theta,
    control: adjustedControl,
    treatment: adjustedTreatment,
    varianceReduction: before > 0 ? 1 - after / before : 0,
    comparison: welchTTestFromMoments(adjustedControl, adjustedTreatment, options),
  };
}
