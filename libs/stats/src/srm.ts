/**
 * Sample-ratio mismatch: a chi-square goodness-of-fit test of the units each variant received
 * against the configured weights. A mismatch means assignment or logging is broken, and every
 * other number of the experiment is suspect.
 *
 * Reference: R. Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled
 * Experiments", KDD 2019 (which recommends the p < 0.0005 to 0.001 range used here).
 */

import { InvalidArgumentError } from '@verdict/errors';
import { requireAtLeast, requireProbability } from './summary';
import { chiSquareSf } from './special/distributions';
import { logGamma } from './special/gamma';

/** Options for {@link sampleRatioMismatch}. */
export interface SrmOptions {
  /**
   * p-value below which the split is declared a mismatch.
   * @default 0.001
   */
  readonly threshold?: number;
}

/** Result of a sample-ratio-mismatch check. */
export interface SrmResult {
  /** Pearson's chi-square statistic. */
  readonly chi2: number;
  /** Degrees of freedom: variants - 1. */
  readonly df: number;
  /** P(χ²_df ≥ chi2). */
  readonly pValue: number;
  /** True when pValue < threshold. */
  readonly mismatch: boolean;
  /** Expected counts under the configured weights. */
  readonly expected: readonly number[];
}

/** Checks counts (≥ 0) and weights (≥ minWeight, finite), one weight per count, at least two. */
function checkCounts(counts: readonly number[], weights: readonly number[], minWeight: number) {
  if (counts.length < 2 || counts.length !== weights.length) {
    throw new InvalidArgumentError({
      field: 'counts',
      expected: `at least two counts, one per weight (${weights.length})`,
      received: `${counts.length} counts`,
    });
  }
  counts.forEach((c, i) => requireAtLeast(`counts[${i}]`, c, 0));
  weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w >= minWeight)) {
      throw new InvalidArgumentError({
        field: `weights[${i}]`,
        expected: minWeight > 0 ? 'a positive number' : 'a number ≥ 0',
        received: String(w),
      });
    }
  });
  if (!weights.some((w) => w > 0)) {
    throw new InvalidArgumentError({
      field: 'weights',
      expected: 'at least one positive weight',
      received: JSON.stringify(weights),
    });
  }
}

/** Chi-square test of observed counts against configured weights (any positive scale). */
export function sampleRatioMismatch(
  counts: readonly number[],
  weights: readonly number[],
  options: SrmOptions = {},
): SrmResult {
  const threshold = options.threshold ?? 0.001;
  requireProbability('threshold', threshold);
  checkCounts(counts, weights, Number.MIN_VALUE);
  const total = counts.reduce((s, c) => s + c, 0);
  if (total === 0)
    throw new InvalidArgumentError({
      field: 'counts',
      expected: 'at least one unit',
      received: '0 units',
    });
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  const chi2 = counts.reduce(
    (s, c, i) => s + ((c - expected[i]) * (c - expected[i])) / expected[i],
    0,
  );
  const df = counts.length - 1;
  const pValue = chiSquareSf(chi2, df);
  return { chi2, df, pValue, mismatch: pValue < threshold, expected };
}

/** Options for {@link sequentialSampleRatioMismatch}. */
export interface SequentialSrmOptions {
  /**
   * Always-valid p-value below which the split is declared a mismatch.
   * @default 0.001
   */
  readonly threshold?: number;
  /**
   * Concentration M of the Dirichlet mixture over the assignment probabilities, centred on the
   * configured shares (prior Dirichlet(M·θ₀)). Under it a share deviates from its configured
   * value by about √(θ(1 - θ)/M): 1.6 points at 50/50 for the default, the size of the
   * mismatches that come from broken assignment or logging. It tunes power only; the false
   * alarm rate stays at most `threshold` for any M.
   * @default 1000
   */
  readonly concentration?: number;
}

/** Result of the sequential sample-ratio check at one look. */
export interface SequentialSrmResult {
  /** ln of the Bayes factor of the Dirichlet-multinomial mixture against the configured shares. */
  readonly logBayesFactor: number;
  /** Always-valid p-value at this look, min(1, 1 / Bayes factor). */
  readonly pValue: number;
  /** True when pValue < threshold. */
  readonly mismatch: boolean;
  /** Expected counts under the configured weights. */
  readonly expected: readonly number[];
}

/**
 * Sequential sample-ratio-mismatch test of Lindon and Malek: the Bayes factor of a
 * Dirichlet(M·θ₀)-multinomial mixture against the multinomial with the configured shares θ₀,
 *
 *   BF = Γ(M) / Γ(M + N) · Π Γ(Mθ₀ᵢ + xᵢ) / Γ(Mθ₀ᵢ) / Π θ₀ᵢ^xᵢ,
 *
 * is a nonnegative martingale under θ₀ whatever the order of arrivals, so by Ville's inequality
 * P(BF ever ≥ 1/α) ≤ α: the check can be re-run at every evaluation without inflating false
 * alarms (the fixed-horizon chi-square cannot). A variant configured at weight 0 that received
 * units is a mismatch at once (its likelihood under θ₀ is 0).
 *
 * Reference: M. Lindon and A. Malek, "Anytime-Valid Inference For Multinomial Count Data",
 * NeurIPS 2022.
 */
export function sequentialSampleRatioMismatch(
  counts: readonly number[],
  weights: readonly number[],
  options: SequentialSrmOptions = {},
): SequentialSrmResult {
  const threshold = options.threshold ?? 0.001;
  requireProbability('threshold', threshold);
  const concentration = options.concentration ?? 1000;
  if (!(Number.isFinite(concentration) && concentration > 0)) {
    throw new InvalidArgumentError({
      field: 'concentration',
      expected: 'a positive number',
      received: String(concentration),
    });
  }
  checkCounts(counts, weights, 0);
  const weightSum = weights.reduce((s, w) => s + w, 0);
  const total = counts.reduce((s, c) => s + c, 0);
  const expected = weights.map((w) => (total * w) / weightSum);
  if (counts.some((c, i) => c > 0 && weights[i] === 0)) {
    return { logBayesFactor: Infinity, pValue: 0, mismatch: true, expected };
  }
  let logBf = logGamma(concentration) - logGamma(concentration + total);
  counts.forEach((c, i) => {
    if (weights[i] === 0) return;
    const theta = weights[i] / weightSum;
    const a = concentration * theta;
    logBf += logGamma(a + c) - logGamma(a) - c * Math.log(theta);
  });
  const pValue = Math.min(1, Math.exp(-logBf));
  return { logBayesFactor: logBf, pValue, mismatch: pValue < threshold, expected };
}
