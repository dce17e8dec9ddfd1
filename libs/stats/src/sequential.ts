/**
 * Sequential testing that stays valid however often results are looked at: the mixture sequential
 * probability ratio test (mSPRT) with a normal mixing distribution, its always-valid p-values and
 * the matching confidence sequence.
 *
 * For an estimate θ̂ of the difference with variance V (from the current sufficient statistics)
 * and a N(0, τ²) mixture over the true difference, the mixture likelihood ratio against θ = 0 is
 *
 *   Λ = √(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))
 *
 * and, by Ville's inequality, P(sup_n Λ_n ≥ 1/α) ≤ α under θ = 0. The always-valid p-value at
 * one look is min(1, 1/Λ); over many looks it is the running minimum ({@link createSequentialMonitor}).
 * Inverting the test gives the confidence sequence
 *
 *   θ̂ ± √( V (V + τ²) / τ² · (2 ln(1/α) + ln((V + τ²) / V)) ).
 *
 * References: R. Johari, P. Koomen, L. Pekelis and D. Walsh, "Peeking at A/B Tests: Why it
 * matters, and what to do about it", KDD 2017 (and Operations Research 70 (2022)); H. Robbins,
 * "Statistical methods related to the law of the iterated logarithm", Ann. Math. Statist. 41
 * (1970) 1397-1409.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { relativeLift } from './frequentist';
import { insufficient, isInsufficient, tooFewUnits, type InsufficientData } from './insufficient';
import {
  binomialArms,
  comparisonDefaults,
  momentsOf,
  type BinomialSummary,
  type Comparison,
  type ComparisonOptions,
  type MeanSummary,
  type Moments,
} from './summary';

/** τ/σ when {@link SequentialOptions.mixingEffectSize} is not given; see its documentation. */
export const DEFAULT_MIXING_EFFECT_SIZE = 0.1;

/** Options for the sequential tests. */
export interface SequentialOptions extends ComparisonOptions {
  /**
   * τ/σ: the standard deviation of the normal mixing distribution over the true difference, in
   * units of the per-unit standard deviation σ (pooled over both groups). The confidence
   * sequence is narrowest where the difference's variance V satisfies
   * τ²/V ≈ 2 ln(1/α) + ln(1 + 2 ln(1/α)), so with n units per arm (V = 2σ²/n) the test is tuned
   * for n* ≈ 2(2 ln(1/α) + ln(1 + 2 ln(1/α))) / (τ/σ)²: about 1,600 units per arm at α = 0.05
   * for the default 0.1, the scale at which decisions on model traffic are usually taken, and
   * effects of a tenth of a standard deviation, the size product experiments usually chase
   * (Johari et al. choose τ from past effects the same way). Smaller values suit longer
   * experiments chasing smaller effects. For relative effects τ is divided by |control mean|.
   * @default 0.1
   */
  readonly mixingEffectSize?: number;
}

/** A sequential comparison: the interval is the confidence sequence, the p-value always valid. */
export interface SequentialComparison extends Comparison {
  /** τ², the variance of the mixing distribution, in the estimate's units squared. */
  readonly mixingVariance: number;
  /** The mixture likelihood ratio Λ at this look. */
  readonly likelihoodRatio: number;
}

/**
 * The mSPRT at one look, given an estimate, its variance V and the mixing variance τ².
 * `statistic` is θ̂/√V, reported for reference only. Insufficient data when V or τ² is not
 * positive (nothing varies, so there is nothing to test).
 */
export function mixtureSprt(
  estimate: number,
  variance: number,
  mixingVariance: number,
  alpha: number,
): SequentialComparison | InsufficientData {
  if (!(variance > 0 && Number.isFinite(variance) && Number.isFinite(estimate))) {
    return insufficient('variance', 'the estimate has zero variance: both arms are constant');
  }
  if (!(mixingVariance > 0 && Number.isFinite(mixingVariance))) {
    return insufficient('variance', 'the pooled per-unit variance is 0: every unit is the same');
  }
  const total = variance + mixingVariance;
  const logLr =
    0.5 * Math.log(variance / total) +
    (mixingVariance * estimate * estimate) / (2 * variance * total);
  const half = Math.sqrt(
    ((variance * total) / mixingVariance) * (2 * Math.log(1 / alpha) + Math.log(total / variance)),
  );
  if (!(Number.isFinite(logLr) && Number.isFinite(half) && half > 0)) {
    return insufficient('variance', 'the variances are too small for floating point');
  }
  return {
    estimate,
    se: Math.sqrt(variance),
    ci: [estimate - half, estimate + half],
    pValue: Math.min(1, Math.exp(-logLr)),
    statistic: estimate / Math.sqrt(variance),
    df: Infinity,
    mixingVariance,
    likelihoodRatio: Math.exp(logLr),
  };
}

/** The mixing effect size of the options, checked. */
export function mixingEffectSizeOf(options: SequentialOptions): number {
  const effect = options.mixingEffectSize ?? DEFAULT_MIXING_EFFECT_SIZE;
  if (!(effect > 0 && Number.isFinite(effect))) {
    throw new InvalidArgumentError({
      field: 'mixingEffectSize',
      expected: 'a positive number',
      received: String(effect),
    });
  }
  return effect;
}

/**
 * The mSPRT from two means, the variances of the means and the pooled per-unit variance σ²
 * (τ² = (τ/σ)²·σ²).
 */
export function sequentialFromMeans(
  meanControl: number,
  varianceOfMeanControl: number,
  meanTreatment: number,
  varianceOfMeanTreatment: number,
  unitVariance: number,
  options: SequentialOptions,
): SequentialComparison | InsufficientData {
  const { alpha, relative } = comparisonDefaults(options);
  const effect = mixingEffectSizeOf(options);
  const tau2 = effect * effect * unitVariance;
  if (relative) {
    const lift = relativeLift(
      meanControl,
      varianceOfMeanControl,
      meanTreatment,
      varianceOfMeanTreatment,
      alpha,
    );
    if (isInsufficient(lift)) return lift;
    return mixtureSprt(lift.estimate, lift.se * lift.se, tau2 / (meanControl * meanControl), alpha);
  }
  return mixtureSprt(
    meanTreatment - meanControl,
    varianceOfMeanControl + varianceOfMeanTreatment,
    tau2,
    alpha,
  );
}

/** mSPRT for a binary metric; σ² = p̄(1 - p̄) with p̄ pooled over both groups. */
export function sequentialProportionTest(
  control: BinomialSummary,
  treatment: BinomialSummary,
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const refused = binomialArms(control, treatment);
  if (refused !== undefined) return refused;
  const pc = control.successes / control.n;
  const pt = treatment.successes / treatment.n;
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  // Both arms constant but different (0 of n against n of n: a broken treatment failing every
  // request) is the clearest evidence there is, not missing evidence: the variance under the
  // null hypothesis p_c = p_t is p̄(1 - p̄) per unit, as in the pooled z-test, and is positive.
  const constantArms = pc * (1 - pc) + pt * (1 - pt) === 0;
  const varianceC = constantArms ? pooled * (1 - pooled) : pc * (1 - pc);
  const varianceT = constantArms ? pooled * (1 - pooled) : pt * (1 - pt);
  return sequentialFromMeans(
    pc,
    varianceC / control.n,
    pt,
    varianceT / treatment.n,
    pooled * (1 - pooled),
    options,
  );
}

/** mSPRT for a continuous metric from means and variances; σ² is the n-weighted pooled variance. */
export function sequentialMeanTestFromMoments(
  control: Moments,
  treatment: Moments,
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const few = tooFewUnits('control', control.n) ?? tooFewUnits('treatment', treatment.n);
  if (few !== undefined) return few;
  const unitVariance =
    (control.n * control.variance + treatment.n * treatment.variance) / (control.n + treatment.n);
  return sequentialFromMeans(
    control.mean,
    control.variance / control.n,
    treatment.mean,
    treatment.variance / treatment.n,
    unitVariance,
    options,
  );
}

/** mSPRT for a continuous metric from sufficient statistics. */
export function sequentialMeanTest(
  control: MeanSummary,
  treatment: MeanSummary,
  options: SequentialOptions = {},
): SequentialComparison | InsufficientData {
  const c = momentsOf('control', control);
  if (isInsufficient(c)) return c;
  const t = momentsOf('treatment', treatment);
  if (isInsufficient(t)) return t;
  return sequentialMeanTestFromMoments(c, t, options);
}

/** Running state of a sequential test over successive looks at one experiment. */
export interface SequentialMonitor {
  /** Folds in one look; returns the always-valid p-value and interval so far. */
  observe(look: SequentialComparison): { pValue: number; ci: readonly [number, number] };
  /** The always-valid p-value so far: the minimum of 1/Λ over all looks (1 before any look). */
  readonly pValue: number;
  /** The intersection of all confidence sequence intervals so far ([-∞, ∞] before any look). */
  readonly ci: readonly [number, number];
}

/**
 * Keeps the running minimum p-value and the running intersection of intervals, which is what
 * makes repeated looks valid. Use one monitor per estimand (absolute or relative, not both).
 */
export function createSequentialMonitor(): SequentialMonitor {
  let pValue = 1;
  let lo = -Infinity;
  let hi = Infinity;
  return {
    observe(look) {
      pValue = Math.min(pValue, look.pValue);
      lo = Math.max(lo, look.ci[0]);
      hi = Math.min(hi, look.ci[1]);
      return { pValue, ci: [lo, hi] };
    },
    get pValue() {
      return pValue;
    },
    get ci(): readonly [number, number] {
      return [lo, hi];
    },
  };
}
