/**
 * One treatment against control on one metric, by the policy's method, from sufficient
 * statistics. A comparison the data cannot support (an arm below the minimum, no variance) is
 * refused with its reason, never filled in with a made-up certainty.
 */
import {
  betaBinomialComparison,
  cuped,
  histogramPercentileInterval,
  isInsufficient,
  MIN_UNITS_PER_ARM,
  normalComparison,
  normalComparisonFromMoments,
  normalCdf,
  normalPdf,
  normalQuantile,
  periodStratifiedDifference,
  ratioBayesianComparison,
  ratioMoments,
  ratioSequentialTest,
  ratioTTest,
  sequentialMeanTest,
  sequentialMeanTestFromMoments,
  sequentialProportionTest,
  stratifiedMeanDifference,
  stratifiedMeanSequentialTest,
  stratifiedSequentialTest,
  twoProportionZTest,
  welchTTest,
  welchTTestFromMoments,
  type BayesianComparison,
  type BinomialPeriod,
  type BinomialSummary,
  type Comparison,
  type CovariateSummary,
  type InsufficientData,
  type MeanPeriod,
  type MeanSummary,
  type RatioSummary,
  type SequentialOptions,
} from '@verdict/stats';
import { experimentsV1 } from '@verdict/proto';
import { BUCKET_COUNT, bucketUpperBound } from '../ingest/latency-buckets';

const { DecisionMethod } = experimentsV1;

/** How a comparison is tested: the policy's method, alpha and sequential tuning. */
export interface TestSettings {
  readonly method: experimentsV1.DecisionMethod;
  readonly alpha: number;
  /** τ/σ of the mSPRT; undefined for the library's default. */
  readonly mixingEffectSize?: number;
}

/** A comparison as the results report it. */
export interface MetricComparison {
  readonly difference: number;
  readonly differenceCi: readonly [number, number];
  /** Standard error of the difference (0 when refused). */
  readonly differenceSe: number;
  /** Relative effect (t - c) / |c|; undefined when it was refused (control mean near 0). */
  readonly lift?: number;
  readonly liftCi?: readonly [number, number];
  /** Unadjusted p-value (Holm is applied across the experiment afterwards). */
  readonly pValue: number;
  /** P(treatment's mean > control's), for the Bayesian method. */
  readonly chanceHigher?: number;
  /** Expected loss [choosing control, choosing treatment] for "higher is better". */
  readonly expectedLoss?: readonly [number, number];
  /** Variance removed by CUPED, when it was applied. */
  readonly varianceReduction?: number;
  /** Set when the comparison was refused: why. Nothing else in it means anything then. */
  readonly insufficientData?: string;
}

/** A mean (or percentile) with its interval. */
export interface Estimate {
  readonly n: number;
  readonly mean: number;
  readonly ci: readonly [number, number];
}

/** The comparison every decision skips: no numbers, p = 1, and the reason. */
export function refused(reason: InsufficientData | string): MetricComparison {
  const text = typeof reason === 'string' ? reason : `${reason.field}: ${reason.reason}`;
  return {
    difference: 0,
    differenceCi: [0, 0],
    differenceSe: 0,
    pValue: 1,
    insufficientData: text,
  };
}

type Tested = Comparison | BayesianComparison | InsufficientData;

/** The report of an absolute and a relative comparison; refused when the absolute one is. */
function build(abs: Tested, rel: Tested, extra: Partial<MetricComparison> = {}): MetricComparison {
  if (isInsufficient(abs)) return refused(abs);
  const bayes =
    'chanceToWin' in abs ? { chanceHigher: abs.chanceToWin, expectedLoss: abs.expectedLoss } : {};
  return {
    difference: abs.estimate,
    differenceCi: abs.ci,
    differenceSe: abs.se,
    ...(isInsufficient(rel) ? {} : { lift: rel.estimate, liftCi: rel.ci }),
    pValue: abs.pValue,
    ...bayes,
    ...extra,
  };
}

function sequentialOptions(settings: TestSettings, relative: boolean): SequentialOptions {
  return { alpha: settings.alpha, relative, mixingEffectSize: settings.mixingEffectSize };
}

/** A two-group test of the library, on either scale. */
type TwoGroupTest<S> = (control: S, treatment: S, options: SequentialOptions) => Tested;

/** The method's test of each metric type, run on the absolute and the relative scale. */
function compareBy<S>(
  tests: { fixed: TwoGroupTest<S>; sequential: TwoGroupTest<S>; bayesian: TwoGroupTest<S> },
  control: S,
  treatment: S,
  settings: TestSettings,
  extra: Partial<MetricComparison> = {},
): MetricComparison {
  const test =
    settings.method === DecisionMethod.BAYESIAN
      ? tests.bayesian
      : settings.method === DecisionMethod.SEQUENTIAL
        ? tests.sequential
        : tests.fixed;
  return build(
    test(control, treatment, sequentialOptions(settings, false)),
    test(control, treatment, sequentialOptions(settings, true)),
    extra,
  );
}

/** Binary metric: z-test, mSPRT or Beta-Binomial. */
export function compareBinary(
  control: BinomialSummary,
  treatment: BinomialSummary,
  settings: TestSettings,
): MetricComparison {
  return compareBy(
    {
      fixed: twoProportionZTest,
      sequential: sequentialProportionTest,
      bayesian: betaBinomialComparison,
    },
    control,
    treatment,
    settings,
  );
}

/**
 * Binary metric of a canary or bandit, stratified by window (its weights change between
 * windows, so pooling would mix periods in different proportions per arm): the always-valid
 * Mantel-Haenszel mSPRT for SEQUENTIAL, the n-weighted stratified Wald test for FIXED, and a
 * normal posterior of that stratified difference for BAYESIAN. The lift is the pooled one.
 */
export function compareBinaryByPeriod(
  periods: readonly BinomialPeriod[],
  control: BinomialSummary,
  treatment: BinomialSummary,
  settings: TestSettings,
): MetricComparison {
  const pooled = compareBinary(control, treatment, { ...settings, method: DecisionMethod.FIXED });
  const abs =
    settings.method === DecisionMethod.SEQUENTIAL
      ? stratifiedSequentialTest(periods, sequentialOptions(settings, false))
      : periodStratifiedDifference(periods, { alpha: settings.alpha });
  return stratified(abs, pooled, settings);
}

function tail(chance: number): number {
  return Math.min(1, 2 * Math.min(chance, 1 - chance));
}

/** Chance above 0 and expected losses of a N(estimate, se²) posterior. */
function normalChance(estimate: number, se: number) {
  const z = estimate / se;
  const gain = se * normalPdf(z);
  return {
    chanceHigher: normalCdf(z),
    expectedLoss: [gain + estimate * normalCdf(z), gain - estimate * normalCdf(-z)] as const,
  };
}

/**
 * Continuous metric of an experiment whose weights change (canary, bandit), stratified by
 * window with Mantel-Haenszel weights: the always-valid mSPRT for SEQUENTIAL, Wald for FIXED, a
 * normal posterior for BAYESIAN. The lift is the pooled one.
 */
export function compareContinuousByPeriod(
  periods: readonly MeanPeriod[],
  control: MeanSummary,
  treatment: MeanSummary,
  settings: TestSettings,
): MetricComparison {
  const pooled = compareContinuous(control, treatment, {
    ...settings,
    method: DecisionMethod.FIXED,
  });
  const abs =
    settings.method === DecisionMethod.SEQUENTIAL
      ? stratifiedMeanSequentialTest(periods, sequentialOptions(settings, false))
      : stratifiedMeanDifference(periods, { alpha: settings.alpha });
  return stratified(abs, pooled, settings);
}

/** A stratified absolute comparison with the pooled lift, in the method's terms. */
function stratified(
  abs: Comparison | InsufficientData,
  pooled: MetricComparison,
  settings: TestSettings,
): MetricComparison {
  if (isInsufficient(abs)) return refused(abs);
  const bayesian = settings.method === DecisionMethod.BAYESIAN;
  return {
    ...pooled,
    insufficientData: undefined,
    difference: abs.estimate,
    differenceCi: abs.ci,
    differenceSe: abs.se,
    pValue: bayesian ? tail(normalCdf(abs.estimate / abs.se)) : abs.pValue,
    ...(bayesian ? normalChance(abs.estimate, abs.se) : {}),
  };
}

/**
 * A window's ratio sums as the mean summary of its linearized values (n, n·R, (n−1)·s² + n·R²),
 * so that ratio metrics stratify like means; a window whose ratio cannot be estimated is empty.
 * Exact for units whose outcomes fall in one window; a unit spanning windows splits its sums.
 */
export function linearizedSummary(s: RatioSummary, alpha: number): MeanSummary {
  const m = ratioMoments('ratio', s, alpha);
  if (isInsufficient(m)) return { n: 0, sum: 0, sumSquares: 0 };
  return { n: m.n, sum: m.n * m.mean, sumSquares: (m.n - 1) * m.variance + m.n * m.mean * m.mean };
}

/** Ratio metric by the delta method on per-unit sums: Welch, mSPRT or Normal. */
export function compareRatio(
  control: RatioSummary,
  treatment: RatioSummary,
  settings: TestSettings,
): MetricComparison {
  return compareBy(
    { fixed: ratioTTest, sequential: ratioSequentialTest, bayesian: ratioBayesianComparison },
    control,
    treatment,
    settings,
  );
}

/** A ratio Σ Y / Σ X with its delta-method interval; no interval below the minimum sample. */
export function ratioEstimate(s: RatioSummary, alpha: number): Estimate {
  const m = ratioMoments('ratio', s, alpha);
  if (isInsufficient(m)) {
    const mean = s.sumX !== 0 ? s.sumY / s.sumX : 0;
    return { n: s.n, mean, ci: [mean, mean] };
  }
  const half = normalQuantile(1 - alpha / 2) * Math.sqrt(m.variance / m.n);
  return { n: s.n, mean: m.mean, ci: [m.mean - half, m.mean + half] };
}

/** Continuous metric: Welch, mSPRT or Normal; with CUPED-adjusted moments when given. */
export function compareContinuous(
  control: MeanSummary,
  treatment: MeanSummary,
  settings: TestSettings,
  covariates?: { control: CovariateSummary; treatment: CovariateSummary },
): MetricComparison {
  const adjusted =
    covariates === undefined
      ? undefined
      : cuped(covariates.control, covariates.treatment, { alpha: settings.alpha });
  if (adjusted !== undefined && !isInsufficient(adjusted)) {
    return compareBy(
      {
        fixed: welchTTestFromMoments,
        sequential: sequentialMeanTestFromMoments,
        bayesian: normalComparisonFromMoments,
      },
      adjusted.control,
      adjusted.treatment,
      settings,
      { varianceReduction: adjusted.varianceReduction },
    );
  }
  return compareBy(
    { fixed: welchTTest, sequential: sequentialMeanTest, bayesian: normalComparison },
    control,
    treatment,
    settings,
  );
}

/**
 * Fewest requests per arm before latency percentiles are compared, the library's minimum for
 * every test; decisions (guardrails included) also wait for the policy's min_sample_size.
 */
export const MIN_LATENCY_SAMPLES = MIN_UNITS_PER_ARM;

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
  settings: TestSettings,
): MetricComparison {
  const { alpha } = settings;
  const c = percentileEstimate(control, q, alpha / 2);
  const t = percentileEstimate(treatment, q, alpha / 2);
  if (c.n < MIN_LATENCY_SAMPLES || t.n < MIN_LATENCY_SAMPLES) {
    return refused(
      `latency: ${c.n} requests on control and ${t.n} on treatment; at least ${MIN_LATENCY_SAMPLES} each are needed`,
    );
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
  const above = (counts: readonly number[], from: number) =>
    counts.slice(from).reduce((s, v) => s + v, 0);
  const target = (1 - q) * total;
  const cuts = [cut + 1, cut]
    .map((from) => ({ from, count: above(pooled, from) }))
    .filter(({ count }) => count > 0 && count < total)
    .sort((a, b) => Math.abs(a.count - target) - Math.abs(b.count - target));
  const from = cuts[0]?.from;
  if (from === undefined) return refused('latency: every request fell in one histogram bucket');
  const mood = compareBinary(
    { n: c.n, successes: above(control, from) },
    { n: t.n, successes: above(treatment, from) },
    settings,
  );
  if (mood.insufficientData !== undefined) return mood;
  const ratio = (a: number, b: number) => a / b - 1;
  return {
    difference: tPoint - cPoint,
    differenceCi: [t.ci[0] - c.ci[1], t.ci[1] - c.ci[0]],
    // Mood's test has no standard error of the percentile difference; the interval's half-width
    // at z_{1-α/2} stands in for it.
    differenceSe: (t.ci[1] - c.ci[0] - (t.ci[0] - c.ci[1])) / (2 * normalQuantile(1 - alpha / 2)),
    ...(cPoint > 0 && c.ci[0] > 0
      ? {
          lift: ratio(tPoint, cPoint),
          liftCi: [ratio(t.ci[0], c.ci[1]), ratio(t.ci[1], c.ci[0])] as const,
        }
      : {}),
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
