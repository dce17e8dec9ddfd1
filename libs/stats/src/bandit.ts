/**
 * Bandits: Thompson sampling weights with a floor per arm, and an analysis that stays unbiased
 * while the weights change.
 *
 * Weights: each arm's share is its posterior probability of being best (Beta-Binomial), estimated
 * from `draws` joint posterior samples, then mixed with the uniform floor as
 * w_i = m + (1 - k·m)·P(best_i), which keeps every arm at least m and the sum at 1.
 *
 * Analysis: when weights change between periods, pooling all units mixes periods in different
 * proportions per arm, so a trend in the base rate biases the pooled difference (a Simpson's
 * paradox). Within a period assignment is random with fixed probabilities, so each period's
 * difference is unbiased; weighting periods by their share of all units estimates the average
 * effect over the experiment without that bias (post-stratification by period). Each period's
 * variance is the pooled p̄(1 - p̄)(1/n_c + 1/n_t) of that period, not the per-arm one: with
 * little traffic per period an arm with no successes would otherwise claim a variance of 0.
 *
 * The always-valid version ({@link stratifiedSequentialTest}) weights period p by
 * h_p = n_c n_t / (n_c + n_t) (Mantel-Haenszel): its sum S = Σ h_p d_p grows period by period
 * without re-weighting the past as units arrive, Var(S) = Σ h_p p̄_p(1 - p̄_p), and the mSPRT is
 * applied to S / Σ h_p with that variance.
 *
 * References: W. R. Thompson, Biometrika 25 (1933) 285-294; O. Chapelle and L. Li, "An
 * Empirical Evaluation of Thompson Sampling", NeurIPS 2011; for the analysis, S. Athey et al.,
 * "Confidence intervals for policy evaluation in adaptive experiments", PNAS 118 (2021), and
 * R. Kohavi et al., Trustworthy Online Controlled Experiments (2020), ch. 21 (ramp-up bias).
 */

import { InvalidArgumentError } from '@verdict/errors';
import { waldComparison } from './frequentist';
import { insufficient, isInsufficient, type InsufficientData } from './insufficient';
import {
  mixingEffectSizeOf,
  mixtureSprt,
  type SequentialComparison,
  type SequentialOptions,
} from './sequential';
import {
  checkBinomial,
  comparisonDefaults,
  requireAtLeast,
  type BinomialSummary,
  type MeanSummary,
  type Comparison,
  type ComparisonOptions,
} from './summary';
import type { Random } from './random';

/** Options for {@link thompsonWeights}. */
export interface ThompsonOptions {
  /**
   * Smallest share any arm receives, so that no arm is starved and every arm keeps being measured.
   * Must be below 1 / arms.
   * @default 0.05
   */
  readonly minWeight?: number;
  /**
   * Joint posterior draws used to estimate each arm's probability of being best.
   * @default 10000
   */
  readonly draws?: number;
  /**
   * Beta prior (a₀, b₀) for every arm.
   * @default [1, 1]
   */
  readonly prior?: readonly [number, number];
}

/** Traffic weights for the next period, one per arm, summing to 1. */
export function thompsonWeights(
  arms: readonly BinomialSummary[],
  random: Random,
  options: ThompsonOptions = {},
): number[] {
  const k = arms.length;
  if (k < 2)
    throw new InvalidArgumentError({
      field: 'arms',
      expected: 'at least two arms',
      received: String(k),
    });
  const minWeight = options.minWeight ?? 0.05;
  if (!(minWeight >= 0 && minWeight * k < 1)) {
    throw new InvalidArgumentError({
      field: 'minWeight',
      expected: `a number in [0, 1/${k})`,
      received: String(minWeight),
    });
  }
  const draws = options.draws ?? 10_000;
  if (!(Number.isInteger(draws) && draws >= 1)) {
    throw new InvalidArgumentError({
      field: 'draws',
      expected: 'a positive integer',
      received: String(draws),
    });
  }
  const [a0, b0] = options.prior ?? [1, 1];
  // An arm without units yet is drawn from its prior.
  arms.forEach((arm, i) => checkBinomial(`arms[${i}]`, arm));
  const wins = new Array<number>(k).fill(0);
  for (let d = 0; d < draws; d++) {
    let best = 0;
    let bestValue = -1;
    for (let i = 0; i < k; i++) {
      const value = random.beta(a0 + arms[i].successes, b0 + arms[i].n - arms[i].successes);
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    }
    wins[best]++;
  }
  return wins.map((w) => minWeight + (1 - k * minWeight) * (w / draws));
}

/** One period with constant weights: control and treatment statistics within it. */
export interface BinomialPeriod {
  readonly control: BinomialSummary;
  readonly treatment: BinomialSummary;
}

/** Periods where both arms have units, checked. */
function usablePeriods(periods: readonly BinomialPeriod[]): BinomialPeriod[] {
  periods.forEach((p, i) => {
    checkBinomial(`periods[${i}].control`, p.control);
    checkBinomial(`periods[${i}].treatment`, p.treatment);
  });
  return periods.filter((p) => p.control.n > 0 && p.treatment.n > 0);
}

function noContrast(): InsufficientData {
  return insufficient('periods', 'no period has units in both arms, or none has any variation');
}

/** The pooled rate of a period, p̄ = (s_c + s_t) / (n_c + n_t). */
function pooledRate(p: BinomialPeriod): number {
  return (p.control.successes + p.treatment.successes) / (p.control.n + p.treatment.n);
}

/**
 * Difference of rates (treatment - control) stratified by period: Σ w_p (p̂_t,p - p̂_c,p) with
 * w_p = (units in period p) / (all units), variance Σ w_p² p̄_p(1 - p̄_p)(1/n_c,p + 1/n_t,p).
 * Interval and p-value are Wald's (fixed-horizon). Periods where either arm has no units are
 * skipped (they carry no contrast).
 */
export function periodStratifiedDifference(
  periods: readonly BinomialPeriod[],
  options: ComparisonOptions = {},
): Comparison | InsufficientData {
  const { alpha } = comparisonDefaults(options);
  const usable = usablePeriods(periods);
  if (usable.length === 0) return noContrast();
  const total = usable.reduce((s, p) => s + p.control.n + p.treatment.n, 0);
  let estimate = 0;
  let variance = 0;
  for (const p of usable) {
    const w = (p.control.n + p.treatment.n) / total;
    const pc = p.control.successes / p.control.n;
    const pt = p.treatment.successes / p.treatment.n;
    const q = pooledRate(p);
    estimate += w * (pt - pc);
    variance += w * w * q * (1 - q) * (1 / p.control.n + 1 / p.treatment.n);
  }
  if (!(variance > 0)) return noContrast();
  return waldComparison(estimate, Math.sqrt(variance), alpha);
}

/**
 * Always-valid, period-stratified difference of rates: the Mantel-Haenszel-weighted difference
 * Σ h_p d_p / Σ h_p (h_p = n_c n_t / (n_c + n_t)) with variance Σ h_p p̄_p(1 - p̄_p) / (Σ h_p)²,
 * tested by the mSPRT with τ² = (τ/σ)²·p̄(1 - p̄) (p̄ pooled over all periods).
 */
export function stratifiedSequentialTest(
  periods: readonly BinomialPeriod[],
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const { alpha } = comparisonDefaults(options);
  const effect = mixingEffectSizeOf(options);
  const usable = usablePeriods(periods);
  let weight = 0;
  let sum = 0;
  let variance = 0;
  let successes = 0;
  let units = 0;
  for (const p of usable) {
    const h = (p.control.n * p.treatment.n) / (p.control.n + p.treatment.n);
    const q = pooledRate(p);
    weight += h;
    sum += h * (p.treatment.successes / p.treatment.n - p.control.successes / p.control.n);
    variance += h * q * (1 - q);
    successes += p.control.successes + p.treatment.successes;
    units += p.control.n + p.treatment.n;
  }
  if (!(weight > 0 && variance > 0)) return noContrast();
  const q = successes / units;
  return mixtureSprt(
    sum / weight,
    variance / (weight * weight),
    effect * effect * q * (1 - q),
    alpha,
  );
}

/** One period with constant weights: a continuous metric's statistics in each arm. */
export interface MeanPeriod {
  readonly control: MeanSummary;
  readonly treatment: MeanSummary;
}

/** Mantel-Haenszel estimate over periods of a continuous metric, or why there is none. */
function meanStrata(
  periods: readonly MeanPeriod[],
): { estimate: number; variance: number; unitVariance: number } | InsufficientData {
  let weight = 0;
  let sum = 0;
  let variance = 0;
  periods.forEach((p, i) => {
    for (const arm of ['control', 'treatment'] as const) {
      requireAtLeast(`periods[${i}].${arm}.n`, p[arm].n, 0);
    }
    const { control: c, treatment: t } = p;
    if (c.n < 1 || t.n < 1 || c.n + t.n < 3) return;
    const mc = c.sum / c.n;
    const mt = t.sum / t.n;
    // Pooled within-arm variance of the period: the variance of d under "no difference".
    const squares = Math.max(0, c.sumSquares - c.sum * mc) + Math.max(0, t.sumSquares - t.sum * mt);
    const pooled = squares / (c.n + t.n - 2);
    const h = (c.n * t.n) / (c.n + t.n);
    weight += h;
    sum += h * (mt - mc);
    variance += h * pooled;
  });
  if (!(weight > 0 && variance > 0)) return noContrast();
  return {
    estimate: sum / weight,
    variance: variance / (weight * weight),
    unitVariance: variance / weight,
  };
}

/**
 * Always-valid, period-stratified difference of means: Mantel-Haenszel weights
 * h_p = n_c n_t / (n_c + n_t), d_p the difference of the period's means, each period's variance
 * the pooled within-arm s²_p; θ̂ = Σ h_p d_p / Σ h_p, V = Σ h_p s²_p / (Σ h_p)², and the mSPRT
 * with τ² = (τ/σ)²·σ², σ² = Σ h_p s²_p / Σ h_p. Used when weights change between periods
 * (canaries, bandits) and the level drifts, where pooled means are biased.
 */
export function stratifiedMeanSequentialTest(
  periods: readonly MeanPeriod[],
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const { alpha } = comparisonDefaults(options);
  const effect = mixingEffectSizeOf(options);
  const strata = meanStrata(periods);
  if (isInsufficient(strata)) return strata;
  return mixtureSprt(
    strata.estimate,
    strata.variance,
    effect * effect * strata.unitVariance,
    alpha,
  );
}

/** The same Mantel-Haenszel estimate with a fixed-horizon Wald interval and p-value. */
export function stratifiedMeanDifference(
  periods: readonly MeanPeriod[],
  options: ComparisonOptions = {},
): Comparison | InsufficientData {
  const { alpha } = comparisonDefaults(options);
  const strata = meanStrata(periods);
  if (isInsufficient(strata)) return strata;
  return waldComparison(strata.estimate, Math.sqrt(strata.variance), alpha);
}
