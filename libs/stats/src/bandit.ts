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
 * effect over the experiment without that bias (post-stratification by period).
 *
 * References: W. R. Thompson, Biometrika 25 (1933) 285-294; O. Chapelle and L. Li, "An
 * Empirical Evaluation of Thompson Sampling", NeurIPS 2011; for the analysis, S. Athey et al.,
 * "Confidence intervals for policy evaluation in adaptive experiments", PNAS 118 (2021), and
 * R. Kohavi et al., Trustworthy Online Controlled Experiments (2020), ch. 21 (ramp-up bias).
 */

import { InvalidArgumentError } from '@verdict/errors';
import { waldComparison } from './frequentist';
import {
  checkBinomial,
  comparisonDefaults,
  type BinomialSummary,
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
  arms.forEach((arm, i) => checkBinomial(`arms[${i}]`, arm, 0));
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

/**
 * Difference of rates (treatment - control) stratified by period: Σ w_p (p̂_t,p - p̂_c,p) with
 * w_p = (units in period p) / (all units), variance Σ w_p² (v_t,p + v_c,p). Interval and p-value
 * are Wald's. Periods where either arm has no units are skipped (they carry no contrast).
 */
export function periodStratifiedDifference(
  periods: readonly BinomialPeriod[],
  options: ComparisonOptions = {},
): Comparison {
  const { alpha } = comparisonDefaults(options);
  const usable = periods.filter((p) => p.control.n > 0 && p.treatment.n > 0);
  if (usable.length === 0) {
    throw new InvalidArgumentError({
      field: 'periods',
      expected: 'a period with units in both arms',
      received: 'none',
    });
  }
  usable.forEach((p, i) => {
    checkBinomial(`periods[${i}].control`, p.control);
    checkBinomial(`periods[${i}].treatment`, p.treatment);
  });
  const total = usable.reduce((s, p) => s + p.control.n + p.treatment.n, 0);
  let estimate = 0;
  let variance = 0;
  for (const p of usable) {
    const w = (p.control.n + p.treatment.n) / total;
    const pc = p.control.successes / p.control.n;
    const pt = p.treatment.successes / p.treatment.n;
    estimate += w * (pt - pc);
    variance += w * w * ((pc * (1 - pc)) / p.control.n + (pt * (1 - pt)) / p.treatment.n);
  }
  return waldComparison(estimate, Math.sqrt(variance), alpha);
}
