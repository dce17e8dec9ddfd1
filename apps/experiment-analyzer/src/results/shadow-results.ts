import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { FIELD, SHADOW_METRIC } from '../ingest/stat-keys';
import { field, type VariantMetrics } from './aggregates';
import { meanEstimate, proportionEstimate } from './compare';

/**
 * Shadow analysis of one shadow variant: agreement rate (Wilson interval), mean absolute output
 * difference and shadow-minus-primary latency (normal intervals) over the comparisons whose
 * shadow call succeeded; the error rate over all comparisons.
 */
export function shadowResult(
  variant: string,
  stats: VariantMetrics,
  maxAbsDiff: number,
  alpha: number,
): experimentsV1.ShadowResult {
  const get = (name: string) => field(stats, variant, SHADOW_METRIC, name);
  const comparisons = get(FIELD.n);
  const ok = get(FIELD.shadowOk);
  const agreement = proportionEstimate({ n: ok, successes: get(FIELD.agree) }, alpha);
  const diff = meanEstimate(
    { n: ok, sum: get(FIELD.meanAbsDiff), sumSquares: get(FIELD.meanAbsDiffSquares) },
    alpha,
  );
  const latency = meanEstimate(
    { n: ok, sum: get(FIELD.latencyDiff), sumSquares: get(FIELD.latencyDiffSquares) },
    alpha,
  );
  const interval = (ci: readonly [number, number]) =>
    create(experimentsV1.IntervalSchema, { lower: ci[0], upper: ci[1] });
  return create(experimentsV1.ShadowResultSchema, {
    variant,
    comparisons: BigInt(comparisons),
    agreementRate: agreement.mean,
    agreementCi: interval(agreement.ci),
    meanAbsDiff: diff.mean,
    meanAbsDiffCi: interval(diff.ci),
    maxAbsDiff,
    meanLatencyDiffUs: latency.mean,
    latencyDiffCi: interval(latency.ci),
    shadowErrorRate: comparisons > 0 ? get(FIELD.shadowErrors) / comparisons : 0,
  });
}
