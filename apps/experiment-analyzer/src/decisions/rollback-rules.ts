/**
 * The rules that roll an experiment back at once: a sample-ratio mismatch, or a guardrail
 * breached with significance.
 */
import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { ERROR_RATE_METRIC } from '../ingest/stat-keys';
import { DEFAULT_SRM_ALPHA } from '../results/compute-results';
import { normalise } from '../results/metric-specs';
import { draft, type DecisionDraft } from './draft';
import { metricValue, num, pValue, pct } from './format';

const { DecisionAction, MetricDirection } = experimentsV1;

/** ROLLBACK of the treatment whose share is furthest off when the results show a mismatch. */
export function srmRollback(
  results: experimentsV1.Results,
  policy: experimentsV1.DecisionPolicy,
): DecisionDraft | undefined {
  const srm = results.srm;
  if (srm === undefined || !srm.mismatch) return undefined;
  const srmAlpha = policy.srmAlpha > 0 && policy.srmAlpha < 1 ? policy.srmAlpha : DEFAULT_SRM_ALPHA;
  const [, ...treatments] = results.variants;
  const worst = [...treatments].sort(
    (a, b) =>
      Math.abs(b.observedShare - b.expectedShare) - Math.abs(a.observedShare - a.expectedShare),
  )[0];
  const split = (f: (v: experimentsV1.VariantResult) => number) =>
    results.variants.map((v) => pct(f(v))).join('/');
  return draft(
    DecisionAction.ROLLBACK,
    `Sample ratio mismatch: units split ${split((v) => v.observedShare)} against configured ${split((v) => v.expectedShare)} (chi-square ${num(srm.chiSquare)}, ${pValue(srm.pValue)} < ${srmAlpha}); assignment or logging is broken.`,
    {
      chi_square: srm.chiSquare,
      p_value: srm.pValue,
      srm_alpha: srmAlpha,
      observed_share: worst?.observedShare ?? 0,
      expected_share: worst?.expectedShare ?? 0,
    },
    worst?.variant ?? '',
  );
}

/** Configured guardrails plus error_rate (absolute, 0 tolerated) unless configured. */
export function guardrailsOf(experiment: experimentsV1.Experiment): experimentsV1.Guardrail[] {
  const configured = experiment.guardrails.filter(
    (g) => g.metric !== undefined && g.metric.name !== '',
  );
  if (configured.some((g) => g.metric!.name === ERROR_RATE_METRIC)) return configured;
  return [
    ...configured,
    create(experimentsV1.GuardrailSchema, {
      metric: { name: ERROR_RATE_METRIC },
      maxDegradation: 0,
      relative: false,
    }),
  ];
}

/**
 * ROLLBACK of the first treatment that breaches a guardrail with significance, once both sides
 * have at least `minSample` observations of the guardrail's metric and the comparison was not
 * refused as insufficient data.
 */
export function guardrailBreach(
  experiment: experimentsV1.Experiment,
  control: experimentsV1.VariantResult,
  treatments: readonly experimentsV1.VariantResult[],
  alpha: number,
  minSample: number,
): DecisionDraft | undefined {
  for (const guardrail of guardrailsOf(experiment)) {
    const spec = normalise(guardrail.metric!);
    const lowerIsBetter = spec.direction === MetricDirection.LOWER_IS_BETTER;
    const c = control.metrics.find((m) => m.metric === spec.name);
    for (const treatment of treatments) {
      const t = treatment.metrics.find((m) => m.metric === spec.name);
      if (c === undefined || t === undefined || t.insufficientData !== '') continue;
      if (Number(t.n) < minSample || Number(c.n) < minSample) continue;
      const relative = guardrail.relative;
      const estimate = relative ? t.lift : t.difference;
      const ci = relative ? t.liftCi : t.differenceCi;
      const lo = ci?.lower ?? estimate;
      const hi = ci?.upper ?? estimate;
      // Degradation: how much worse the treatment is, positive = worse.
      const worse = lowerIsBetter ? estimate : -estimate;
      const worseLow = lowerIsBetter ? lo : -hi;
      const tolerated = Math.max(0, guardrail.maxDegradation);
      if (!(worseLow > tolerated && t.pValue <= alpha)) continue;
      const show = (x: number) => (relative ? pct(x) : metricValue(spec, x));
      return draft(
        DecisionAction.ROLLBACK,
        `Guardrail ${spec.name} breached: ${treatment.variant} ${metricValue(spec, t.mean)} vs ${control.variant} ${metricValue(spec, c.mean)}, worse by ${show(worse)} (at least ${show(worseLow)}), more than the ${show(tolerated)} tolerated, ${pValue(t.pValue)}.`,
        {
          treatment_mean: t.mean,
          control_mean: c.mean,
          degradation: worse,
          degradation_lower: worseLow,
          max_degradation: tolerated,
          p_value: t.pValue,
          treatment_n: Number(t.n),
          control_n: Number(c.n),
        },
        treatment.variant,
      );
    }
  }
  return undefined;
}
