/**
 * Fixed-horizon tests: the two-proportion z-test and Welch's t-test, with intervals for the
 * absolute difference and, by the delta method, for the relative lift.
 *
 * References: A. Agresti, Categorical Data Analysis, 3rd ed. (2013), 3.1 (pooled z-test and Wald
 * interval for p₂ - p₁); B. L. Welch, "The generalization of Student's problem when several
 * different population variances are involved", Biometrika 34 (1947) 28-35; F. E. Satterthwaite
 * (1946) for the degrees of freedom; the delta method for a ratio of independent means, e.g.
 * A. Deng et al., "Applying the Delta Method in Metric Analytics", KDD 2018.
 */

import {
  checkBinomial,
  comparisonDefaults,
  momentsOf,
  type BinomialSummary,
  type Comparison,
  type ComparisonOptions,
  type MeanSummary,
  type Moments,
} from './summary';
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
 * Relative lift m_t / m_c - 1 of two independent means and its delta-method standard error:
 * Var ≈ v_t / m_c² + m_t² v_c / m_c⁴, where v are the variances of the means.
 */
export function relativeLift(
  meanControl: number,
  varianceOfMeanControl: number,
  meanTreatment: number,
  varianceOfMeanTreatment: number,
): { estimate: number; se: number } {
  const c2 = meanControl * meanControl;
  const se = Math.sqrt(
    varianceOfMeanTreatment / c2 +
      (meanTreatment * meanTreatment * varianceOfMeanControl) / (c2 * c2),
  );
  return { estimate: meanTreatment / meanControl - 1, se };
}

/** A normal-theory (Wald) comparison: z = estimate / se, interval estimate ± z_{1-α/2}·se. */
export function waldComparison(estimate: number, se: number, alpha: number): Comparison {
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

/**
 * Two-proportion z-test of treatment against control.
 *
 * Absolute: estimate p_t - p_c, p-value from the pooled z-test (unless `pooled: false`), interval
 * Wald with unpooled variance. Relative: estimate p_t / p_c - 1 with the delta-method standard
 * error, and p-value and interval from that same Wald statistic so that they agree.
 */
export function twoProportionZTest(
  control: BinomialSummary,
  treatment: BinomialSummary,
  options: ZTestOptions = {},
): Comparison {
  const { alpha, relative } = comparisonDefaults(options);
  checkBinomial('control', control);
  checkBinomial('treatment', treatment);
  const pc = control.successes / control.n;
  const pt = treatment.successes / treatment.n;
  const vc = (pc * (1 - pc)) / control.n;
  const vt = (pt * (1 - pt)) / treatment.n;
  if (relative) {
    const lift = relativeLift(pc, vc, pt, vt);
    return waldComparison(lift.estimate, lift.se, alpha);
  }
  const estimate = pt - pc;
  const wald = waldComparison(estimate, Math.sqrt(vc + vt), alpha);
  if (options.pooled === false) return wald;
  const pooled = (control.successes + treatment.successes) / (control.n + treatment.n);
  const pooledSe = Math.sqrt(pooled * (1 - pooled) * (1 / control.n + 1 / treatment.n));
  const z = estimate / pooledSe;
  return { ...wald, pValue: normalTwoSided(z), statistic: z };
}

/**
 * Welch's unequal-variance t-test from means and variances.
 *
 * Absolute: t = (m_t - m_c) / se with Welch-Satterthwaite degrees of freedom and a t interval.
 * Relative: the delta-method lift with a normal interval and p-value (the delta method is itself
 * a large-sample approximation, so a t correction would suggest precision it does not have).
 */
export function welchTTestFromMoments(
  control: Moments,
  treatment: Moments,
  options: ComparisonOptions = {},
): Comparison {
  const { alpha, relative } = comparisonDefaults(options);
  const vc = control.variance / control.n;
  const vt = treatment.variance / treatment.n;
  if (relative) {
    const lift = relativeLift(control.mean, vc, treatment.mean, vt);
    return waldComparison(lift.estimate, lift.se, alpha);
  }
  const estimate = treatment.mean - control.mean;
  const se = Math.sqrt(vc + vt);
  const df =
    ((vc + vt) * (vc + vt)) / ((vc * vc) / (control.n - 1) + (vt * vt) / (treatment.n - 1));
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
): Comparison {
  return welchTTestFromMoments(
    momentsOf('control', control),
    momentsOf('treatment', treatment),
    options,
  );
}
