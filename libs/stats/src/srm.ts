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

/** Chi-square test of observed counts against configured weights (any positive scale). */
export function sampleRatioMismatch(
  counts: readonly number[],
  weights: readonly number[],
  options: SrmOptions = {},
): SrmResult {
  const threshold = options.threshold ?? 0.001;
  requireProbability('threshold', threshold);
  if (counts.length < 2 || counts.length !== weights.length) {
    throw new InvalidArgumentError({
      field: 'counts',
      expected: `at least two counts, one per weight (${weights.length})`,
      received: `${counts.length} counts`,
    });
  }
  counts.forEach((c, i) => requireAtLeast(`counts[${i}]`, c, 0));
  weights.forEach((w, i) => {
    if (!(Number.isFinite(w) && w > 0)) {
      throw new InvalidArgumentError({
        field: `weights[${i}]`,
        expected: 'a positive number',
        received: String(w),
      });
    }
  });
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
