/**
 * Results from aggregates: per variant and metric estimates, comparisons against control by the
 * policy's method, Holm across all of them, the sample-ratio check and shadow summaries.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import {
  holm,
  sampleRatioMismatch,
  sequentialSampleRatioMismatch,
  type CovariateSummary,
  type RatioSummary,
} from '@verdict/stats';
import { experimentInfo } from '../ingest/experiment-info';
import { BUCKET_COUNT } from '../ingest/latency-buckets';
import { CUPED_PREFIX, ERROR_RATE_METRIC, FIELD, UNITS_METRIC } from '../ingest/stat-keys';
import { field, type Aggregates, type VariantMetrics } from './aggregates';
import {
  compareBinary,
  compareBinaryByPeriod,
  compareContinuous,
  compareContinuousByPeriod,
  compareLatency,
  compareRatio,
  linearizedSummary,
  meanEstimate,
  percentileEstimate,
  proportionEstimate,
  ratioEstimate,
  type Estimate,
  type MetricComparison,
  type TestSettings,
} from './compare';
import { reportedMetrics } from './metric-specs';
import { shadowResult } from './shadow-results';

const { DecisionMethod, ExperimentKind, MetricDirection, MetricType } = experimentsV1;

/** Significance level when the policy leaves alpha unset. */
export const DEFAULT_ALPHA = 0.05;
/** Sample-ratio-mismatch threshold when the policy leaves srm_alpha unset. */
export const DEFAULT_SRM_ALPHA = 0.001;
/** Method when the policy leaves it unset: the one that stays valid under peeking. */
export const DEFAULT_METHOD = DecisionMethod.SEQUENTIAL;

function policyValues(experiment: experimentsV1.Experiment) {
  const p = experiment.policy;
  const valid = (v: number | undefined, fallback: number) =>
    v !== undefined && v > 0 && v < 1 ? v : fallback;
  return {
    alpha: valid(p?.alpha, DEFAULT_ALPHA),
    srmAlpha: valid(p?.srmAlpha, DEFAULT_SRM_ALPHA),
    method: p === undefined || p.method === DecisionMethod.UNSPECIFIED ? DEFAULT_METHOD : p.method,
    mixingEffectSize:
      p !== undefined && p.sequentialEffectSize > 0 ? p.sequentialEffectSize : undefined,
  };
}

interface Cell {
  variantIndex: number;
  metricIndex: number;
  estimate: Estimate;
  comparison?: MetricComparison;
  higherIsBetter: boolean;
}

/** Pure part of the reader: Results from aggregates (exported for tests). */
export function computeResults(
  experiment: experimentsV1.Experiment,
  aggregates: Aggregates,
  computeTime: Date,
  runningMinimum?: Map<string, number>,
): experimentsV1.Results {
  const info = experimentInfo(experiment);
  const { alpha, srmAlpha, method, mixingEffectSize } = policyValues(experiment);
  const settings: TestSettings = { method, alpha, mixingEffectSize };
  const metrics = reportedMetrics(experiment);
  const stats = aggregates.totals;
  const variants = info.answering;
  const control = variants[0];
  const cells: Cell[] = [];
  variants.forEach((variant, variantIndex) => {
    metrics.forEach((spec, metricIndex) => {
      const higherIsBetter = spec.direction !== MetricDirection.LOWER_IS_BETTER;
      const estimate = estimateOf(stats, variant, spec, alpha);
      const computed =
        variantIndex === 0
          ? undefined
          : compareOf(experiment, aggregates, control, variant, spec, settings);
      const comparison =
        computed === undefined ||
        runningMinimum === undefined ||
        method !== DecisionMethod.SEQUENTIAL
          ? computed
          : keepMinimum(runningMinimum, `${variant}/${spec.name}`, computed);
      cells.push({ variantIndex, metricIndex, estimate, comparison, higherIsBetter });
    });
  });
  // Refused comparisons are not tests: they enter neither Holm's count nor any decision.
  const tested = cells.filter(
    (c) => c.comparison !== undefined && c.comparison.insufficientData === undefined,
  );
  const adjusted =
    tested.length > 0
      ? holm(
          tested.map((c) => c.comparison!.pValue),
          alpha,
        )
      : undefined;
  const adjustedOf = new Map(tested.map((c, i) => [c, adjusted!.adjusted[i]]));

  const units = variants.map((v) => field(stats, v, UNITS_METRIC, FIELD.n));
  const expected = variants.map((v) => field(stats, v, UNITS_METRIC, FIELD.expected));
  const totalUnits = units.reduce((s, u) => s + u, 0);
  const totalExpected = expected.reduce((s, e) => s + e, 0);

  const variantResults = variants.map((variant, variantIndex) =>
    create(experimentsV1.VariantResultSchema, {
      variant,
      units: BigInt(units[variantIndex]),
      requests: BigInt(field(stats, variant, ERROR_RATE_METRIC, FIELD.n)),
      expectedShare:
        totalExpected > 0
          ? expected[variantIndex] / totalExpected
          : (info.shares.get(variant) ?? 0),
      observedShare: totalUnits > 0 ? units[variantIndex] / totalUnits : 0,
      metrics: cells
        .filter((c) => c.variantIndex === variantIndex)
        .map((c) => metricResult(metrics[c.metricIndex].name, c, adjustedOf.get(c), alpha)),
    }),
  );

  return create(experimentsV1.ResultsSchema, {
    experimentId: experiment.id,
    experimentVersion: experiment.version,
    computeTime: timestampFromDate(computeTime),
    method,
    alpha,
    variants: variantResults,
    srm: srmCheck(
      units,
      totalExpected > 0 ? expected : variants.map((v) => info.shares.get(v) ?? 0),
      srmAlpha,
    ),
    shadows: info.shadows.map((s) =>
      shadowResult(s, stats, aggregates.shadowMax.get(s) ?? 0, alpha),
    ),
  });
}

/**
 * The always-valid p-value over every look so far: the minimum of this look's and the ones
 * before (`minima`, updated in place), so that a sequential result never turns back. A refused
 * comparison keeps its refusal and leaves the minimum as it was.
 */
function keepMinimum(
  minima: Map<string, number>,
  key: string,
  comparison: MetricComparison,
): MetricComparison {
  if (comparison.insufficientData !== undefined) return comparison;
  const pValue = Math.min(minima.get(key) ?? 1, comparison.pValue);
  minima.set(key, pValue);
  return { ...comparison, pValue };
}

function metricResult(
  metric: string,
  cell: Cell,
  adjustedP: number | undefined,
  alpha: number,
): experimentsV1.MetricResult {
  const c = cell.comparison;
  const interval = (ci: readonly [number, number]) =>
    create(experimentsV1.IntervalSchema, { lower: ci[0], upper: ci[1] });
  const chance =
    c?.chanceHigher === undefined ? 0 : cell.higherIsBetter ? c.chanceHigher : 1 - c.chanceHigher;
  const loss = c?.expectedLoss === undefined ? 0 : c.expectedLoss[cell.higherIsBetter ? 1 : 0];
  return create(experimentsV1.MetricResultSchema, {
    metric,
    n: BigInt(cell.estimate.n),
    mean: cell.estimate.mean,
    ci: interval(cell.estimate.ci),
    lift: c?.lift ?? 0,
    liftCi: interval(c?.liftCi ?? [0, 0]),
    insufficientData: c?.insufficientData ?? '',
    differenceSe: c?.differenceSe ?? 0,
    difference: c?.difference ?? 0,
    differenceCi: interval(c?.differenceCi ?? [0, 0]),
    pValue: adjustedP ?? 1,
    chanceToBeatControl: chance,
    expectedLoss: loss,
    significant: adjustedP !== undefined && adjustedP <= alpha,
  });
}

function histogram(stats: VariantMetrics, variant: string, metric: string): number[] {
  const fields = stats.get(variant)?.get(metric);
  const counts = new Array<number>(BUCKET_COUNT).fill(0);
  if (fields === undefined) return counts;
  for (const [name, value] of fields) {
    if (name.startsWith(FIELD.bucketPrefix)) {
      const i = Number(name.slice(FIELD.bucketPrefix.length));
      if (Number.isInteger(i) && i >= 0 && i < BUCKET_COUNT) counts[i] += value;
    }
  }
  return counts;
}

function binomial(stats: VariantMetrics, variant: string, metric: string) {
  const n = field(stats, variant, metric, FIELD.n);
  const successes =
    metric === ERROR_RATE_METRIC
      ? field(stats, variant, metric, FIELD.successes)
      : Math.round(field(stats, variant, metric, FIELD.sum));
  return { n, successes: Math.min(n, Math.max(0, successes)) };
}

function meanSummary(stats: VariantMetrics, variant: string, metric: string) {
  return {
    n: field(stats, variant, metric, FIELD.n),
    sum: field(stats, variant, metric, FIELD.sum),
    sumSquares: field(stats, variant, metric, FIELD.sumSquares),
  };
}

/** Per-unit sums of a ratio metric: numerator in sum/sum2, denominator in x/x2, product in xy. */
function ratioSummary(stats: VariantMetrics, variant: string, metric: string): RatioSummary {
  return {
    n: field(stats, variant, metric, FIELD.n),
    sumY: field(stats, variant, metric, FIELD.sum),
    sumYSquares: field(stats, variant, metric, FIELD.sumSquares),
    sumX: field(stats, variant, metric, FIELD.sumX),
    sumXSquares: field(stats, variant, metric, FIELD.sumXSquares),
    sumXY: field(stats, variant, metric, FIELD.sumXY),
  };
}

function covariateSummary(
  stats: VariantMetrics,
  variant: string,
  metric: string,
): CovariateSummary {
  const m = CUPED_PREFIX + metric;
  return {
    n: field(stats, variant, m, FIELD.n),
    sumY: field(stats, variant, m, FIELD.sum),
    sumYSquares: field(stats, variant, m, FIELD.sumSquares),
    sumX: field(stats, variant, m, FIELD.sumX),
    sumXSquares: field(stats, variant, m, FIELD.sumXSquares),
    sumXY: field(stats, variant, m, FIELD.sumXY),
  };
}

function estimateOf(
  stats: VariantMetrics,
  variant: string,
  spec: experimentsV1.MetricSpec,
  alpha: number,
): Estimate {
  switch (spec.type) {
    case MetricType.BINARY:
      return proportionEstimate(binomial(stats, variant, spec.name), alpha);
    case MetricType.LATENCY:
      return percentileEstimate(histogram(stats, variant, spec.name), spec.percentile / 100, alpha);
    case MetricType.RATIO:
      return ratioEstimate(ratioSummary(stats, variant, spec.name), alpha);
    default:
      return meanEstimate(meanSummary(stats, variant, spec.name), alpha);
  }
}

function compareOf(
  experiment: experimentsV1.Experiment,
  aggregates: Aggregates,
  control: string,
  treatment: string,
  spec: experimentsV1.MetricSpec,
  settings: TestSettings,
): MetricComparison {
  const stats = aggregates.totals;
  switch (spec.type) {
    case MetricType.BINARY: {
      const c = binomial(stats, control, spec.name);
      const t = binomial(stats, treatment, spec.name);
      if (weightsChange(experiment)) {
        const periods = aggregates.windows.map((w) => ({
          control: binomial(aggregates.byWindow.get(w)!, control, spec.name),
          treatment: binomial(aggregates.byWindow.get(w)!, treatment, spec.name),
        }));
        return compareBinaryByPeriod(periods, c, t, settings);
      }
      return compareBinary(c, t, settings);
    }
    case MetricType.RATIO: {
      const c = ratioSummary(stats, control, spec.name);
      const t = ratioSummary(stats, treatment, spec.name);
      if (!weightsChange(experiment)) return compareRatio(c, t, settings);
      const linear = (w: number, v: string) =>
        linearizedSummary(ratioSummary(aggregates.byWindow.get(w)!, v, spec.name), settings.alpha);
      const periods = aggregates.windows.map((w) => ({
        control: linear(w, control),
        treatment: linear(w, treatment),
      }));
      const pooled = compareRatio(c, t, settings);
      const byPeriod = compareContinuousByPeriod(
        periods,
        linearizedSummary(c, settings.alpha),
        linearizedSummary(t, settings.alpha),
        settings,
      );
      // The pooled delta-method lift, the stratified difference and test.
      return pooled.insufficientData === undefined && byPeriod.insufficientData === undefined
        ? { ...byPeriod, lift: pooled.lift, liftCi: pooled.liftCi }
        : byPeriod;
    }
    case MetricType.LATENCY:
      return compareLatency(
        histogram(stats, control, spec.name),
        histogram(stats, treatment, spec.name),
        spec.percentile / 100,
        settings,
      );
    default: {
      const covariates =
        spec.covariate === ''
          ? undefined
          : {
              control: covariateSummary(stats, control, spec.name),
              treatment: covariateSummary(stats, treatment, spec.name),
            };
      if (covariates === undefined && weightsChange(experiment)) {
        const periods = aggregates.windows.map((w) => ({
          control: meanSummary(aggregates.byWindow.get(w)!, control, spec.name),
          treatment: meanSummary(aggregates.byWindow.get(w)!, treatment, spec.name),
        }));
        return compareContinuousByPeriod(
          periods,
          meanSummary(stats, control, spec.name),
          meanSummary(stats, treatment, spec.name),
          settings,
        );
      }
      return compareContinuous(
        meanSummary(stats, control, spec.name),
        meanSummary(stats, treatment, spec.name),
        settings,
        covariates,
      );
    }
  }
}

/**
 * The sample-ratio check: Lindon and Malek's sequential multinomial test, always valid however
 * often it is re-run (chi-square reported beside it for people). Weights are the expected
 * units (Σ of each variant's configured share at each first exposure), so canary steps and
 * bandit re-weighting are followed; a variant at weight 0 that got units is a mismatch.
 */
/**
 * Canaries and bandits change their weights by design, so their binary and continuous metrics
 * are compared within windows (results read them per window for these kinds).
 */
export function weightsChange(experiment: experimentsV1.Experiment): boolean {
  return experiment.kind === ExperimentKind.BANDIT || experiment.kind === ExperimentKind.CANARY;
}

function srmCheck(units: number[], weights: number[], srmAlpha: number): experimentsV1.SrmCheck {
  const usable = units.map((u, i) => ({ u, w: weights[i] })).filter(({ u, w }) => u > 0 || w > 0);
  if (usable.length < 2 || usable.every(({ u }) => u === 0)) {
    return create(experimentsV1.SrmCheckSchema, { chiSquare: 0, pValue: 1, mismatch: false });
  }
  const counts = usable.map(({ u }) => u);
  const shares = usable.map(({ w }) => w);
  const sequential = sequentialSampleRatioMismatch(counts, shares, { threshold: srmAlpha });
  const chi = sampleRatioMismatch(
    counts,
    shares.map((w) => Math.max(w, 1e-12)),
  );
  return create(experimentsV1.SrmCheckSchema, {
    chiSquare: chi.chi2,
    pValue: sequential.pValue,
    mismatch: sequential.mismatch,
  });
}
