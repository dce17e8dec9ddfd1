/**
 * One treatment against control on one metric, by the policy's method, from sufficient
 * statistics; degenerate inputs (no observations, zero variance) give a defined answer instead
 * of NaN.
 */
import {
  betaBinomialComparison,
  cuped,
  histogramPercentileInterval,
  normalComparison,
  normalComparisonFromMoments,
  normalQuantile,
  periodStratifiedDifference,
  sequentialMeanTest,
  sequentialMeanTestFromMoments,
  sequentialProportionTest,
  twoProportionZTest,
  welchTTest,
  welchTTestFromMoments,
  type BayesianComparison,
  type BinomialPeriod,
  type BinomialSummary,
  type Comparison,
  type CovariateSummary,
  type MeanSummary,
} from '@verdict/stats';
import { experimentsV1 } from '@verdict/proto';
import { BUCKET_COUNT, bucketUpperBound } from '../ingest/latency-buckets';

const { DecisionMethod } = experimentsV1;

/** A comparison as the results report it. */
export interface MetricComparison {
  readonly difference: number;
  readonly differenceCi: readonly [number, number];
  readonly lift: number;
  readonly liftCi: readonly [number, number];
  /** Unadjusted p-value (Holm is applied across the experiment afterwards). */
  readonly pValue: number;
  /** P(treatment's mean > control's), for the Bayesian method. */
  readonly chanceHigher?: number;
  /** Expected loss [choosing control, choosing treatment] for "higher is better". */
  readonly expectedLoss?: readonly [number, number];
  /** Variance removed by CUPED, when it was applied. */
  readonly varianceReduction?: number;
}

/** A mean (or percentile) with its interval. */
export interface Estimate {
  readonly n: number;
  readonly mean: number;
  readonly ci: readonly [number, number];
}

function finite(c: Comparison): boolean {
  return Number.isFinite(c.estimate) && Number.isFinite(c.pValue) && c.ci.every(Number.isFinite);
}

/** Runs `compute`; when it throws or gives NaN, answers the point estimate with no uncertainty. */
function guarded<C extends Comparison>(compute: () => C, estimate: number): Comparison {
  try {
    const c = compute();
    if (finite(c)) return c;
  } catch {
    // Inputs the test is not defined for (n too small, zero variance): fall through.
  }
  const e = Number.isFinite(estimate) ? estimate : 0;
  return {
    estimate: e,
    se: 0,
    ci: [e, e],
    pValue: e === 0 ? 1 : 0,
    statistic: 0,
    df: Infinity,
  };
}

/** The Bayesian figures of a comparison; a degenerate one is certain in its direction. */
function bayesian(c: Comparison): Pick<MetricComparison, 'chanceHigher' | 'expectedLoss'> {
  if ('chanceToWin' in c) {
    const b = c as BayesianComparison;
    return { chanceHigher: b.chanceToWin, expectedLoss: b.expectedLoss };
  }
  const d = c.estimate;
  return {
    chanceHigher: d > 0 ? 1 : d < 0 ? 0 : 0.5,
    expectedLoss: [Math.max(0, d), Math.max(0, -d)],
  };
}

function build(
  abs: Comparison,
  rel: Comparison,
  controlMean: number,
  extra = {},
): MetricComparison {
  const liftDefined = controlMean !== 0;
  return {
    difference: abs.estimate,
    differenceCi: abs.ci,
    lift: liftDefined ? rel.estimate : 0,
    liftCi: liftDefined ? rel.ci : [0, 0],
    pValue: abs.pValue,
    ...extra,
  };
}

/** Binary metric: z-test, mSPRT or Beta-Binomial. */
export function compareBinary(
  control: BinomialSummary,
  treatment: BinomialSummary,
  method: experimentsV1.DecisionMethod,
  alpha: number,
): MetricComparison {
  const pc = control.n > 0 ? control.successes / control.n : 0;
  const pt = treatment.n > 0 ? treatment.successes / treatment.n : 0;
  const relEstimate = pc > 0 ? pt / pc - 1 : 0;
  if (method === DecisionMethod.BAYESIAN) {
    const abs = guarded(() => betaBinomialComparison(control, treatment, { alpha }), pt - pc);
    const rel = guarded(
      () => betaBinomialComparison(control, treatment, { alpha, relative: true }),
      relEstimate,
    );
    return build(abs, rel, pc, bayesian(abs));
  }
  const test = method === DecisionMethod.SEQUENTIAL ? sequentialProportionTest : twoProportionZTest;
  const abs = guarded(() => test(control, treatment, { alpha }), pt - pc);
  const rel = guarded(() => test(control, treatment, { alpha, relative: true }), relEstimate);
  return build(abs, rel, pc);
}

/** Binary metric of a bandit: the difference stratified by window (weights change between them). */
export function compareBinaryByPeriod(
  periods: readonly BinomialPeriod[],
  control: BinomialSummary,
  treatment: BinomialSummary,
  alpha: number,
): MetricComparison {
  const pooled = compareBinary(control, treatment, DecisionMethod.FIXED, alpha);
  const abs = guarded(() => periodStratifiedDifference(periods, { alpha }), pooled.difference);
  return { ...pooled, difference: abs.estimate, differenceCi: abs.ci, pValue: abs.pValue };
}

function meanOf(s: MeanSummary): number {
  return s.n > 0 ? s.sum / s.n : 0;
}

/** Continuous metric: Welch, mSPRT or Normal; with CUPED-adjusted moments when given. */
export function compareContinuous(
  control: MeanSummary,
  treatment: MeanSummary,
  method: experimentsV1.DecisionMethod,
  alpha: number,
  covariates?: { control: CovariateSummary; treatment: CovariateSummary },
): MetricComparison {
  const mc = meanOf(control);
  const mt = meanOf(treatment);
  const relEstimate = mc !== 0 ? mt / mc - 1 : 0;
  let adjusted: ReturnType<typeof cuped> | undefined;
  if (covariates !== undefined && covariates.control.n >= 2 && covariates.treatment.n >= 2) {
    try {
      adjusted = cuped(covariates.control, covariates.treatment, { alpha });
    } catch {
      adjusted = undefined;
    }
  }
  if (adjusted !== undefined) {
    const a = adjusted;
    const extra = { varianceReduction: a.varianceReduction };
    if (method === DecisionMethod.BAYESIAN) {
      const abs = guarded(
        () => normalComparisonFromMoments(a.control, a.treatment, { alpha }),
        mt - mc,
      );
      const rel = guarded(
        () => normalComparisonFromMoments(a.control, a.treatment, { alpha, relative: true }),
        relEstimate,
      );
      return build(abs, rel, mc, { ...extra, ...bayesian(abs) });
    }
    const test =
      method === DecisionMethod.SEQUENTIAL ? sequentialMeanTestFromMoments : welchTTestFromMoments;
    const abs = guarded(() => test(a.control, a.treatment, { alpha }), mt - mc);
    const rel = guarded(() => test(a.control, a.treatment, { alpha, relative: true }), relEstimate);
    return build(abs, rel, mc, extra);
  }
  if (method === DecisionMethod.BAYESIAN) {
    const abs = guarded(() => normalComparison(control, treatment, { alpha }), mt - mc);
    const rel = guarded(
      () => normalComparison(control, treatment, { alpha, relative: true }),
      relEstimate,
    );
    return build(abs, rel, mc, bayesian(abs));
  }
  const test = method === DecisionMethod.SEQUENTIAL ? sequentialMeanTest : welchTTest;
  const abs = guarded(() => test(control, treatment, { alpha }), mt - mc);
  const rel = guarded(() => test(control, treatment, { alpha, relative: true }), relEstimate);
  return build(abs, rel, mc);
}

/** Bucket bounds of the latency histogram. */
export const LATENCY_BOUNDS: readonly number[] = Array.from({ length: BUCKET_COUNT }, (_, i) =>
  bucketUpperBound(i),
);

/** A percentile of a latency histogram with its order-statistic interval. */
export function percentileEstimate(counts: readonly number[], q: number, alpha: number): Estimate {
  const n = counts.reduce((s, c) => s + c, 0);
  if (n === 0) return { n, mean: 0, ci: [0, 0] };
  const p = histogramPercentileInterval(LATENCY_BOUNDS, counts, q, { alpha });
  return { n, mean: p.estimate, ci: p.ci };
}

/**
 * Latency percentile of treatment against control. The difference's interval combines the two
 * percentile intervals at alpha/2 each (Bonferroni), so it covers with at least 1 - alpha; the
 * p-value is Mood's quantile test: the share of each group above the pooled q-quantile,
 * compared by the method's binary test.
 */
export function compareLatency(
  control: readonly number[],
  treatment: readonly number[],
  q: number,
  method: experimentsV1.DecisionMethod,
  alpha: number,
): MetricComparison {
  const c = percentileEstimate(control, q, alpha / 2);
  const t = percentileEstimate(treatment, q, alpha / 2);
  if (c.n === 0 || t.n === 0) {
    return { difference: 0, differenceCi: [0, 0], lift: 0, liftCi: [0, 0], pValue: 1 };
  }
  const cPoint = percentileEstimate(control, q, alpha).mean;
  const tPoint = percentileEstimate(treatment, q, alpha).mean;
  const pooled = control.map((v, i) => v + treatment[i]);
  const total = c.n + t.n;
  const rank = Math.max(1, Math.ceil(total * q));
  let cumulative = 0;
  let cut = pooled.length - 1;
  for (let i = 0; i < pooled.length; i++) {
    cumulative += pooled[i];
    if (cumulative >= rank) {
      cut = i;
      break;
    }
  }
  // Split at the bucket holding the pooled quantile, counting that bucket above or below,
  // whichever leaves a share above nearest 1 - q without emptying a side. The cut depends on the
  // pooled data only, so under "same distribution" the test stays valid (exchangeability).
  const tail = (counts: readonly number[], from: number) =>
    counts.slice(from).reduce((s, v) => s + v, 0);
  const target = (1 - q) * total;
  const cuts = [cut + 1, cut]
    .map((from) => ({ from, above: tail(pooled, from) }))
    .filter(({ above }) => above > 0 && above < total)
    .sort((a, b) => Math.abs(a.above - target) - Math.abs(b.above - target));
  const from = cuts[0]?.from;
  const mood =
    from === undefined
      ? { pValue: 1, chanceHigher: undefined }
      : compareBinary(
          { n: c.n, successes: tail(control, from) },
          { n: t.n, successes: tail(treatment, from) },
          method,
          alpha,
        );
  const ratio = (a: number, b: number) => (b > 0 ? a / b - 1 : 0);
  return {
    difference: tPoint - cPoint,
    differenceCi: [t.ci[0] - c.ci[1], t.ci[1] - c.ci[0]],
    lift: ratio(tPoint, cPoint),
    liftCi: [ratio(t.ci[0], c.ci[1]), c.ci[0] > 0 ? ratio(t.ci[1], c.ci[0]) : 0],
    pValue: mood.pValue,
    chanceHigher: mood.chanceHigher,
    expectedLoss: mood.chanceHigher === undefined ? undefined : [0, 0],
  };
}

/** Wilson score interval of a proportion (keeps inside [0, 1], sensible at 0 and n successes). */
export function proportionEstimate(s: BinomialSummary, alpha: number): Estimate {
  if (s.n === 0) return { n: 0, mean: 0, ci: [0, 0] };
  const p = s.successes / s.n;
  const z = normalQuantile(1 - alpha / 2);
  const z2n = (z * z) / s.n;
  const center = (p + z2n / 2) / (1 + z2n);
  const half = (z * Math.sqrt((p * (1 - p)) / s.n + z2n / (4 * s.n))) / (1 + z2n);
  return { n: s.n, mean: p, ci: [Math.max(0, center - half), Math.min(1, center + half)] };
}

/** Normal interval of a mean (large-sample; t would differ only for tiny n). */
export function meanEstimate(s: MeanSummary, alpha: number): Estimate {
  if (s.n === 0) return { n: 0, mean: 0, ci: [0, 0] };
  const mean = s.sum / s.n;
  if (s.n < 2) return { n: s.n, mean, ci: [mean, mean] };
  const variance = Math.max(0, (s.sumSquares - s.sum * mean) / (s.n - 1));
  const half = normalQuantile(1 - alpha / 2) * Math.sqrt(variance / s.n);
  return { n: s.n, mean, ci: [mean - half, mean + half] };
}
