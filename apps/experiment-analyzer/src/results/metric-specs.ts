import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { ERROR_RATE_METRIC, LATENCY_METRIC } from '../ingest/stat-keys';

const { MetricType, MetricDirection } = experimentsV1;

/** Percentile compared for latency when the spec leaves it at 0. */
export const DEFAULT_LATENCY_PERCENTILE = 99;

/**
 * The metrics results report, in order: primary, secondary, guardrails (first definition of a
 * name wins), then the built-in error_rate and latency (p99) when not listed. Type and direction
 * are filled in for the built-ins and default to continuous, higher-is-better for outcomes.
 */
export function reportedMetrics(experiment: experimentsV1.Experiment): experimentsV1.MetricSpec[] {
  const specs = [
    experiment.primaryMetric,
    ...experiment.secondaryMetrics,
    ...experiment.guardrails.map((g) => g.metric),
  ];
  const seen = new Map<string, experimentsV1.MetricSpec>();
  for (const spec of specs) {
    if (spec !== undefined && spec.name !== '' && !seen.has(spec.name)) {
      seen.set(spec.name, normalise(spec));
    }
  }
  for (const name of [ERROR_RATE_METRIC, LATENCY_METRIC]) {
    if (!seen.has(name))
      seen.set(name, normalise(create(experimentsV1.MetricSpecSchema, { name })));
  }
  return [...seen.values()];
}

/** A copy of the spec with type, direction and percentile resolved. */
export function normalise(spec: experimentsV1.MetricSpec): experimentsV1.MetricSpec {
  const builtIn =
    spec.name === ERROR_RATE_METRIC
      ? MetricType.BINARY
      : spec.name === LATENCY_METRIC
        ? MetricType.LATENCY
        : undefined;
  const type =
    builtIn ?? (spec.type === MetricType.UNSPECIFIED ? MetricType.CONTINUOUS : spec.type);
  const direction =
    spec.direction !== MetricDirection.UNSPECIFIED
      ? spec.direction
      : builtIn !== undefined
        ? MetricDirection.LOWER_IS_BETTER
        : MetricDirection.HIGHER_IS_BETTER;
  const percentile =
    type === MetricType.LATENCY && !(spec.percentile > 0 && spec.percentile < 100)
      ? DEFAULT_LATENCY_PERCENTILE
      : spec.percentile;
  return create(experimentsV1.MetricSpecSchema, { ...spec, type, direction, percentile });
}
