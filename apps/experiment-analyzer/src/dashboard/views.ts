/**
 * The JSON the dashboard's pages read: plain numbers and strings cut from the proto messages
 * (64-bit counts become numbers, which is exact below 2^53; enums become lower-case names).
 */
import { timestampMs, type Timestamp } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';

type Experiment = experimentsV1.Experiment;

/** Lower-case name of an enum value, e.g. `running` for ExperimentState.RUNNING. */
function enumName(values: Record<number, string>, value: number): string {
  return (values[value] ?? String(value)).toLowerCase();
}

function time(value: Timestamp | undefined): number | null {
  return value === undefined ? null : timestampMs(value);
}

function interval(value: experimentsV1.Interval | undefined): [number, number] | null {
  return value === undefined ? null : [value.lower, value.upper];
}

export interface MetricSpecView {
  readonly name: string;
  readonly type: string;
  readonly direction: string;
  readonly percentile: number;
}

function metricSpecView(spec: experimentsV1.MetricSpec | undefined): MetricSpecView | null {
  if (spec === undefined) return null;
  return {
    name: spec.name,
    type: enumName(experimentsV1.MetricType, spec.type),
    direction: enumName(experimentsV1.MetricDirection, spec.direction),
    percentile: spec.percentile,
  };
}

export interface ExperimentView {
  readonly id: string;
  readonly name: string;
  readonly team: string;
  readonly model: string;
  readonly kind: string;
  readonly state: string;
  readonly version: number;
  readonly description: string;
  readonly unitType: string;
  readonly variants: readonly {
    readonly name: string;
    readonly role: string;
    readonly weight: number;
    /** `version 2` or `alias production`. */
    readonly target: string;
    readonly pool: string;
    readonly shadowSampleRate: number;
  }[];
  readonly primaryMetric: MetricSpecView | null;
  readonly secondaryMetrics: readonly MetricSpecView[];
  readonly guardrails: readonly {
    readonly metric: MetricSpecView | null;
    readonly maxDegradation: number;
    readonly relative: boolean;
  }[];
  readonly method: string;
  readonly alpha: number;
  readonly autoApply: boolean;
  readonly createTime: number | null;
  readonly startTime: number | null;
  readonly endTime: number | null;
  readonly winner: string;
}

export function experimentView(experiment: Experiment): ExperimentView {
  const policy = experiment.policy;
  return {
    id: experiment.id,
    name: experiment.name,
    team: experiment.team,
    model: experiment.model,
    kind: enumName(experimentsV1.ExperimentKind, experiment.kind),
    state: enumName(experimentsV1.ExperimentState, experiment.state),
    version: Number(experiment.version),
    description: experiment.description,
    unitType: experiment.unitType,
    variants: experiment.variants.map((variant) => ({
      name: variant.name,
      role: enumName(experimentsV1.VariantRole, variant.role),
      weight: variant.weight,
      target:
        variant.target.case === 'version'
          ? `version ${variant.target.value}`
          : variant.target.case === 'alias'
            ? `alias ${variant.target.value}`
            : '',
      pool: variant.pool,
      shadowSampleRate: variant.shadowSampleRate,
    })),
    primaryMetric: metricSpecView(experiment.primaryMetric),
    secondaryMetrics: experiment.secondaryMetrics.map((spec) => metricSpecView(spec)!),
    guardrails: experiment.guardrails.map((guardrail) => ({
      metric: metricSpecView(guardrail.metric),
      maxDegradation: guardrail.maxDegradation,
      relative: guardrail.relative,
    })),
    method: enumName(experimentsV1.DecisionMethod, policy?.method ?? 0),
    alpha: policy?.alpha ?? 0,
    autoApply: policy?.autoApply ?? false,
    createTime: time(experiment.createTime),
    startTime: time(experiment.startTime),
    endTime: time(experiment.endTime),
    winner: experiment.winner,
  };
}

export interface MetricResultView {
  readonly metric: string;
  readonly n: number;
  readonly mean: number;
  readonly ci: [number, number] | null;
  readonly lift: number;
  readonly liftCi: [number, number] | null;
  readonly difference: number;
  readonly differenceCi: [number, number] | null;
  readonly pValue: number;
  readonly chanceToBeatControl: number;
  readonly expectedLoss: number;
  readonly significant: boolean;
}

export function metricResultView(metric: experimentsV1.MetricResult): MetricResultView {
  return {
    metric: metric.metric,
    n: Number(metric.n),
    mean: metric.mean,
    ci: interval(metric.ci),
    lift: metric.lift,
    liftCi: interval(metric.liftCi),
    difference: metric.difference,
    differenceCi: interval(metric.differenceCi),
    pValue: metric.pValue,
    chanceToBeatControl: metric.chanceToBeatControl,
    expectedLoss: metric.expectedLoss,
    significant: metric.significant,
  };
}

export interface ShadowView {
  readonly variant: string;
  readonly comparisons: number;
  readonly agreementRate: number;
  readonly agreementCi: [number, number] | null;
  readonly meanAbsDiff: number;
  readonly meanAbsDiffCi: [number, number] | null;
  readonly maxAbsDiff: number;
  readonly meanLatencyDiffUs: number;
  readonly latencyDiffCi: [number, number] | null;
  readonly shadowErrorRate: number;
}

export function shadowView(shadow: experimentsV1.ShadowResult): ShadowView {
  return {
    variant: shadow.variant,
    comparisons: Number(shadow.comparisons),
    agreementRate: shadow.agreementRate,
    agreementCi: interval(shadow.agreementCi),
    meanAbsDiff: shadow.meanAbsDiff,
    meanAbsDiffCi: interval(shadow.meanAbsDiffCi),
    maxAbsDiff: shadow.maxAbsDiff,
    meanLatencyDiffUs: shadow.meanLatencyDiffUs,
    latencyDiffCi: interval(shadow.latencyDiffCi),
    shadowErrorRate: shadow.shadowErrorRate,
  };
}

export interface ResultsView {
  readonly experimentId: string;
  readonly experimentVersion: number;
  readonly computeTime: number | null;
  readonly method: string;
  readonly alpha: number;
  readonly variants: readonly {
    readonly variant: string;
    readonly units: number;
    readonly requests: number;
    readonly expectedShare: number;
    readonly observedShare: number;
    readonly metrics: readonly MetricResultView[];
  }[];
  readonly srm: {
    readonly chiSquare: number;
    readonly pValue: number;
    readonly mismatch: boolean;
  } | null;
  readonly shadows: readonly ShadowView[];
}

export function resultsView(results: experimentsV1.Results): ResultsView {
  return {
    experimentId: results.experimentId,
    experimentVersion: Number(results.experimentVersion),
    computeTime: time(results.computeTime),
    method: enumName(experimentsV1.DecisionMethod, results.method),
    alpha: results.alpha,
    variants: results.variants.map((variant) => ({
      variant: variant.variant,
      units: Number(variant.units),
      requests: Number(variant.requests),
      expectedShare: variant.expectedShare,
      observedShare: variant.observedShare,
      metrics: variant.metrics.map(metricResultView),
    })),
    srm:
      results.srm === undefined
        ? null
        : {
            chiSquare: results.srm.chiSquare,
            pValue: results.srm.pValue,
            mismatch: results.srm.mismatch,
          },
    shadows: results.shadows.map(shadowView),
  };
}

export interface DecisionView {
  readonly id: string;
  readonly time: number | null;
  readonly action: string;
  readonly reason: string;
  readonly numbers: Readonly<Record<string, number>>;
  readonly variant: string;
  readonly actor: string;
  readonly experimentVersion: number;
  readonly routingTableVersion: number;
  readonly applied: boolean;
}

export function decisionView(decision: experimentsV1.Decision): DecisionView {
  return {
    id: decision.id,
    time: time(decision.time),
    action: enumName(experimentsV1.DecisionAction, decision.action).replace(/_/g, ' '),
    reason: decision.reason,
    numbers: { ...decision.numbers },
    variant: decision.variant,
    actor: decision.actor,
    experimentVersion: Number(decision.experimentVersion),
    routingTableVersion: Number(decision.routingTableVersion),
    applied: decision.applied,
  };
}
