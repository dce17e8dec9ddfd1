/**
 * Fixed-horizon tests: the two-proportion z-test and Welch's t-test, with intervals for the
 * absolute difference and, by the delta method, for the relative effect (t - c) / |c|.
 *
 * References: A. Agresti, Categorical Data Analysis, 3rd ed. (2013), 3.1 (pooled z-test and Wald
 * interval for p₂ - p₁); B. L. Welch, "The generalization of Student's problem when several
 * different population variances are involved", Biometrika 34 (1947) 28-35; F. E. Satterthwaite
 * (1946) for the degrees of freedom; the delta method for a ratio of independent means, e.g.
 * A. Deng et al., "Applying the Delta Method in Metric Analytics", KDD 2018.
 */

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
import { insufficient, isInsufficient, tooFewUnits, type InsufficientData } from './insufficient';
import { normalQuantile, normalTwoSided } from './special/normal';
import { studentTQuantile, studentTTwoSided } from './special/distributions';

/** Options for {@link twoProportionZTest}. */
export interface ZTestOptions extends ComparisonOptions {
  /**
   * Use the pooled proportion for the test's standard error (the classical test, as statsmodels'
   * `proportions_ztest`); the interval always uses the unpooled (Wald) standard error.
   * @default true
   */
  readonly pooled?: boolean;
}

/**
 * Relative effect (m_t - m_c) / |m_c| of two independent means and its delta-method standard
 * error, Var ≈ v_t / m_c² + m_t² v_c / m_c⁴ (v are the variances of the means). Dividing by
 * |m_c| keeps the sign of m_t - m_c, so a higher treatment is a positive effect also when the
 * means are negative.
 *
 * Refused (insufficient data) when either arm's variance is 0 (the delta method would claim an
 * exact ratio) or when |m_c| < z_{1-α/2}·√v_c: a control mean indistinguishable from 0 leaves
 * the ratio without a bounded interval (Fieller's condition), so no interval would be honest.
 */
export function relativeLift(
  meanControl: number,
  varianceOfMeanControl: number,
  meanTreatment: number,
  varianceOfMeanTreatment: number,
  alpha = 0.05,
): { estimate: number; se: number } | InsufficientData {
  if (!(varianceOfMeanControl > 0)) {
    return insufficient('control', 'control has zero variance; a relative effect would look exact');
  }
  if (!(varianceOfMeanTreatment > 0)) {
    return insufficient(
      'treatment',
      'treatment has zero variance; a relative effect would look exact',
    );
  }
  const z = normalQuantile(1 - alpha / 2);
  if (!(Math.abs(meanControl) > z * Math.sqrt(varianceOfMeanControl))) {
    return insufficient(
      'control',
      `control mean ${meanControl} is within ${z.toFixed(2)} standard errors of 0; a relative effect is undefined`,
    );
  }
  const c2 = meanControl * meanControl;
  const se = Math.sqrt(
    varianceOfMeanTreatment / c2 +
      (meanTreatment * meanTreatment * varianceOfMeanControl) / (c2 * c2),
  );
  return { estimate: (meanTreatment - meanControl) / Math.abs(meanControl), se };
}

/**
 * A normal-theory (Wald) comparison: z = estimate / se, interval estimate ± z_{1-α/2}·se.
 * Insufficient data when se is not a positive finite number (nothing varies).
 */
export function waldComparison(
  estimate: number,
  se: number,
  alpha: number,
): Comparison | InsufficientData {
  if (!(se > 0 && Number.isFinite(se) && Number.isFinite(estimate))) {
    return insufficient('variance', 'the estimate has zero variance: both arms are constant');
  }
  const z = estimate / se;
  const half = normalQuantile(1 - alpha / 2) * se;
  return {
    estimate,
    se,
    ci: [estimate - half, estimate + half],
    pValue: normalTwoSided(z),
    statistic: z,
    df: Infinity,
  };
}

/** {@link waldComparison} of a relative effect, passing a refusal through. */
export function relativeWald(
  lift: { estimate: number; se: number } | InsufficientData,
  alpha: number,
): Comparison | InsufficientData {
  return isInsufficient(lift) ? lift : waldComparison(lift.estimate, lift.se, alpha);
}

/**
 * Two-proportion z-test of treatment against control.
 *
 * Absolute: estimate p_t - p_c, p-value from the pooled z-test (unless `pooled: false`), interval
 * Wald with unpooled variance. Relative: estimate (p_t - p_c) / p_c with the delta-method
 * standard error, and p-value and interval from that same Wald statistic so that they agree.
 */
export function twoProportionZTest(
  control: BinomialSummary,
  treatment: BinomialSummary,
  options: ZTestOptions = {},
): Comparison | InsufficientData {
  const { alpha, relative } = comparisonDefaults(options);
  const refused = binomialArms(control, treatment);
  if (refused !== undefined) return refused;
  const pc = control.successes / control.n;
  const pt = treatment.successes / treatment.n;
  const vc = (pc * (1 - pc)) / control.n;
  const vt = (pt * (1 - pt)) / treatment.n;
  if (relative) return relativeWald(relativeLift(pc, vc, pt, vt, alpha), alpha);
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  if (pooled === 0 || pooled === 1) {
    return insufficient(
      'successes',
      `every unit in both arms has the same outcome (${pooled}); nothing can differ`,
    );
  }
  const estimate = pt - pc;
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  // Both arms constant at different rates (0 of n against n of n): the unpooled standard error
  // is 0 and would claim an exact difference, so the interval takes the pooled one.
  const unpooledSe = Math.sqrt(vc + vt);
  const wald = waldComparison(estimate, unpooledSe > 0 ? unpooledSe : pooledSe, alpha);
  if (isInsufficient(wald) || options.pooled === false) return wald;
  const z = estimate / pooledSe;
  return { ...wald, pValue: normalTwoSided(z), statistic: z };
}

/**
 * Welch's unequal-variance t-test from means and variances.
 *
 * Absolute: t = (m_t - m_c) / se with Welch-Satterthwaite degrees of freedom and a t interval.
 * Relative: the delta-method effect with a normal interval and p-value (the delta method is
 * itself a large-sample approximation, so a t correction would suggest precision it does not
 * have).
 */
export function welchTTestFromMoments(
  control: Moments,
  treatment: Moments,
  options: ComparisonOptions = {},
): Comparison | InsufficientData {
  const { alpha, relative } = comparisonDefaults(options);
  const few = tooFewUnits('control', control.n) ?? tooFewUnits('treatment', treatment.n);
  if (few !== undefined) return few;
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  if (relative)
    return relativeWald(relativeLift(control.mean, vc, treatment.mean, vt, alpha), alpha);
  const estimate = treatment.mean - control.mean;
  const se = Math.sqrt(vc + vt);
  if (!(se > 0)) return insufficient('variance', 'both arms have zero variance');
  const df =
    ((vc + vt) * (vc + vt)) / ((vc * vc) / (control.n - 1) + (vt * vt) / (treatment.n - 1));
  if (!(df > 0 && Number.isFinite(df))) {
    return insufficient('variance', 'the variances are too small for floating point');
  }
  const t = estimate / se;
  const half = studentTQuantile(1 - alpha / 2, df) * se;
  return {
    estimate,
    se,
    ci: [estimate - half, estimate + half],
    pValue: studentTTwoSided(t, df),
    statistic: t,
    df,
  };
}

/** Welch's t-test from the sufficient statistics (n, sum, sum of squares) of each group. */
export function welchTTest(
  control: MeanSummary,
  treatment: MeanSummary,
  options: ComparisonOptions = {},
): Comparison | InsufficientData {
  const c = momentsOf('control', control);
  if (isInsufficient(c)) return c;
  const t = momentsOf('treatment', treatment);
  if (isInsufficient(t)) return t;
  return welchTTestFromMoments(c, t, options);
}
