/**
 * Bayesian comparisons: chance that treatment beats control and the expected loss of choosing
 * either, for binary metrics (Beta-Binomial) and continuous ones (Normal).
 *
 * Binary: with a Beta(a₀, b₀) prior, each rate's posterior is Beta(a₀ + successes, b₀ + failures).
 * P(p_t > p_c) = ∫ f(x) S(x) dx and E[(p_c - p_t)⁺] are one-dimensional integrals over the
 * narrower posterior's density (composite Gauss-Legendre), using E[X·1{X > y}] = m·S⁺(y) where S⁺
 * is the survival function of Beta(a + 1, b) (size-biasing). The reference tests check them
 * against the closed-form sums of E. Miller ("Formulas for Bayesian A/B Testing", 2015) and
 * C. Stucchio ("Bayesian A/B Testing at VWO", 2015).
 *
 * Continuous: with a flat prior each mean's posterior is approximately N(x̄, s²/n), so the
 * difference D is N(δ, σ²) with δ = x̄_t - x̄_c, σ² = s_t²/n_t + s_c²/n_c, and
 * P(D > 0) = Φ(δ/σ), E[(-D)⁺] = σφ(δ/σ) - δΦ(-δ/σ) (the loss of choosing treatment).
 *
 * Relative (both metric types): the posterior of the relative effect L = (m_t - m_c) / |m_c| is
 * approximated by N(ℓ, s²) from the delta method on the posterior means and variances, as
 * GrowthBook does, and chance to win and expected loss are computed on that scale, so the loss
 * is a fraction of the control mean, not metric units.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { relativeLift, waldComparison } from './frequentist';
import { isInsufficient, tooFewUnits, type InsufficientData } from './insufficient';
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
import { betaCdf, betaPdf, betaSf } from './special/distributions';
import { normalCdf, normalPdf } from './special/normal';
import { integrate } from './special/quadrature';

/** Options for the Bayesian comparisons. */
export interface BayesianOptions extends ComparisonOptions {
  /**
   * Beta prior (a₀, b₀) for both rates of a binary metric; (1, 1) is uniform.
   * @default [1, 1]
   */
  readonly prior?: readonly [number, number];
}

/** A Bayesian comparison. `ci` is the central credible interval of the estimate (normal approximation to the posterior). */
export interface BayesianComparison extends Comparison {
  /** Posterior probability that treatment's mean exceeds control's. */
  readonly chanceToWin: number;
  /**
   * Expected loss of choosing [control, treatment]: [E[(m_t - m_c)⁺], E[(m_c - m_t)⁺]] in the
   * metric's units, or the same on the relative scale for a relative comparison.
   */
  readonly expectedLoss: readonly [number, number];
}

/** Panels of the Gauss-Legendre rule: one posterior standard deviation each, where 20 nodes integrate the smooth integrands to about machine precision. */
const PANELS = 32;
/** Half-width of the integration range in posterior standard deviations: the mass left out is below 1e-9 even for a posterior as skewed as Beta(1, 40), and far less for the posteriors of running experiments. */
const RANGE_SDS = 16;

interface BetaPosterior {
  readonly a: number;
  readonly b: number;
  readonly mean: number;
  readonly sd: number;
}

function posterior(summary: BinomialSummary, prior: readonly [number, number]): BetaPosterior {
  const a = prior[0] + summary.successes;
  const b = prior[1] + summary.n - summary.successes;
  const mean = a / (a + b);
  return { a, b, mean, sd: Math.sqrt((a * b) / ((a + b) * (a + b) * (a + b + 1))) };
}

function rangeOf(p: BetaPosterior): [number, number] {
  return [Math.max(0, p.mean - RANGE_SDS * p.sd), Math.min(1, p.mean + RANGE_SDS * p.sd)];
}

/** P(U > V) for independent Beta posteriors, integrated over the narrower density. */
function probabilityGreater(u: BetaPosterior, v: BetaPosterior): number {
  if (v.sd <= u.sd) {
    const [lo, hi] = rangeOf(v);
    return integrate((y) => betaPdf(y, v.a, v.b) * betaSf(y, u.a, u.b), lo, hi, PANELS);
  }
  const [lo, hi] = rangeOf(u);
  return integrate((x) => betaPdf(x, u.a, u.b) * betaCdf(x, v.a, v.b), lo, hi, PANELS);
}

/** E[(U - V)⁺] for independent Beta posteriors. */
function expectedExcess(u: BetaPosterior, v: BetaPosterior): number {
  if (v.sd <= u.sd) {
    const [lo, hi] = rangeOf(v);
    return integrate(
      (y) => betaPdf(y, v.a, v.b) * (u.mean * betaSf(y, u.a + 1, u.b) - y * betaSf(y, u.a, u.b)),
      lo,
      hi,
      PANELS,
    );
  }
  const [lo, hi] = rangeOf(u);
  return integrate(
    (x) => betaPdf(x, u.a, u.b) * (x * betaCdf(x, v.a, v.b) - v.mean * betaCdf(x, v.a + 1, v.b)),
    lo,
    hi,
    PANELS,
  );
}

function tailPValue(chanceToWin: number): number {
  return Math.min(1, 2 * Math.min(chanceToWin, 1 - chanceToWin));
}

/**
 * Beta-Binomial comparison. `pValue` is the Bayesian two-sided tail 2·min(P(win), P(lose)),
 * which a uniform prior makes close to the frequentist p-value for large samples.
 */
export function betaBinomialComparison(
  control: BinomialSummary,
  treatment: BinomialSummary,
  options: BayesianOptions = {},
): BayesianComparison | InsufficientData {
  const { alpha, relative } = comparisonDefaults(options);
  const refused = binomialArms(control, treatment);
  if (refused !== undefined) return refused;
  const prior = options.prior ?? [1, 1];
  if (!(prior[0] > 0 && prior[1] > 0)) {
    throw new InvalidArgumentError({
      field: 'prior',
      expected: 'two positive numbers',
      received: JSON.stringify(prior),
    });
  }
  const c = posterior(control, prior);
  const t = posterior(treatment, prior);
  if (relative) {
    const lift = relativeLift(c.mean, c.sd * c.sd, t.mean, t.sd * t.sd, alpha);
    return isInsufficient(lift) ? lift : normalPosterior(lift.estimate, lift.se, alpha);
  }
  const lose = probabilityGreater(c, t);
  const win = probabilityGreater(t, c);
  // Each tail is computed directly so that small probabilities keep their relative precision.
  const chanceToWin = win <= lose ? win : 1 - lose;
  const base = waldComparison(t.mean - c.mean, Math.hypot(c.sd, t.sd), alpha);
  if (isInsufficient(base)) return base;
  return {
    ...base,
    pValue: tailPValue(chanceToWin),
    chanceToWin,
    expectedLoss: [expectedExcess(t, c), expectedExcess(c, t)],
  };
}

/**
 * A normal posterior N(estimate, se²) of the effect: chance it is above 0, expected loss of
 * either choice, and the central credible interval.
 */
function normalPosterior(
  estimate: number,
  se: number,
  alpha: number,
): BayesianComparison | InsufficientData {
  const base = waldComparison(estimate, se, alpha);
  if (isInsufficient(base)) return base;
  const z = estimate / se;
  const chanceToWin = normalCdf(z);
  const gain = se * normalPdf(z);
  return {
    ...base,
    pValue: tailPValue(chanceToWin),
    chanceToWin,
    expectedLoss: [gain + estimate * normalCdf(z), gain - estimate * normalCdf(-z)],
  };
}

/** Normal comparison of means and variances (flat prior). */
export function normalComparisonFromMoments(
  control: Moments,
  treatment: Moments,
  options: ComparisonOptions = {},
): BayesianComparison | InsufficientData {
  const { alpha, relative } = comparisonDefaults(options);
  const few = tooFewUnits('control', control.n) ?? tooFewUnits('treatment', treatment.n);
  if (few !== undefined) return few;
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  if (relative) {
    const lift = relativeLift(control.mean, vc, treatment.mean, vt, alpha);
    return isInsufficient(lift) ? lift : normalPosterior(lift.estimate, lift.se, alpha);
  }
  return normalPosterior(treatment.mean - control.mean, Math.sqrt(vc + vt), alpha);
}

/** Normal comparison from sufficient statistics. */
export function normalComparison(
  control: MeanSummary,
  treatment: MeanSummary,
  options: ComparisonOptions = {},
): BayesianComparison | InsufficientData {
  const c = momentsOf('control', control);
  if (isInsufficient(c)) return c;
  const t = momentsOf('treatment', treatment);
  if (isInsufficient(t)) return t;
  return normalComparisonFromMoments(c, t, options);
}
