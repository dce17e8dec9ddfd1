import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { createRandom, thompsonWeights } from '@verdict/stats';
import { experimentInfo } from '../ingest/experiment-info';
import { ERROR_RATE_METRIC } from '../ingest/stat-keys';
import { normalise } from '../results/metric-specs';
import { DEFAULT_ALPHA, DEFAULT_SRM_ALPHA } from '../results/results-reader';
import { durationMs, hours, metricValue, num, pValue, pct } from './format';

const {
  DecisionAction,
  DecisionMethod,
  ExperimentKind,
  ExperimentState,
  MetricDirection,
  MetricType,
} = experimentsV1;

/** What the policy decided, before the control side applies and records it. */
export interface DecisionDraft {
  action: experimentsV1.DecisionAction;
  /** One sentence with the numbers behind it. */
  reason: string;
  numbers: Record<string, number>;
  /** Variant acted on; empty when none. */
  variant: string;
  /** New relative weights for a canary step or bandit re-balance, by variant name. */
  weights?: Record<string, number>;
}

/** Canary step when the policy leaves canary_step at 0. */
export const DEFAULT_CANARY_STEP = 0.1;
/** Largest canary weight when the policy leaves canary_max_weight at 0. */
export const DEFAULT_CANARY_MAX_WEIGHT = 0.5;
/** Least bandit arm share when the policy leaves bandit_min_weight at 0. */
export const DEFAULT_BANDIT_MIN_WEIGHT = 0.05;
/** Joint posterior draws of a bandit re-balance. */
export const BANDIT_DRAWS = 10_000;

/**
 * The decision for an experiment, given its results now (pure: the same inputs give the same
 * draft; the bandit's random draws are seeded by experiment id and time). In order:
 * 1. a sample-ratio mismatch or a guardrail breached with significance -> ROLLBACK;
 * 2. canary below its max weight, guardrails holding and traffic on both sides -> STEP;
 * 3. a treatment that wins on the primary metric at 1 - alpha with min_sample_size on every
 *    variant and min_duration reached (a canary only at its max weight) -> PROMOTE;
 * 4. max_duration reached -> NO_DIFFERENCE;
 * 5. bandit -> STEP with Thompson weights (floor bandit_min_weight); else CONTINUE.
 * error_rate is a guardrail of every experiment (absolute, 0 tolerated) unless configured.
 */
export function evaluatePolicy(
  experiment: experimentsV1.Experiment,
  results: experimentsV1.Results,
  now: Date,
): DecisionDraft {
  const policy = experiment.policy ?? create(experimentsV1.DecisionPolicySchema);
  const alpha = policy.alpha > 0 && policy.alpha < 1 ? policy.alpha : DEFAULT_ALPHA;
  if (experiment.state !== ExperimentState.RUNNING) {
    return draft(
      DecisionAction.CONTINUE,
      `Experiment is ${ExperimentState[experiment.state]}, not running; nothing to decide.`,
      {},
    );
  }
  const ageMs =
    experiment.startTime === undefined
      ? 0
      : Math.max(0, now.getTime() - timestampMs(experiment.startTime));
  const [control, ...treatments] = results.variants;
  if (control === undefined) {
    return draft(DecisionAction.CONTINUE, 'No answering variants in the results yet.', {});
  }

  const srm = srmRollback(results, policy);
  if (srm !== undefined) return srm;
  const breach = guardrailBreach(experiment, control, treatments, alpha);
  if (breach !== undefined) return breach;

  const numbers: Record<string, number> = { age_hours: ageMs / 3_600_000 };
  if (experiment.kind === ExperimentKind.CANARY) {
    const step = canaryStep(experiment, policy, control, treatments);
    if (step !== undefined) return step;
  }
  const win = winner(experiment, policy, results, ageMs, alpha);
  if (win.draft !== undefined) return win.draft;
  const maxMs = durationMs(policy.maxDuration);
  if (maxMs > 0 && ageMs >= maxMs) {
    return draft(
      DecisionAction.NO_DIFFERENCE,
      `No winner after ${hours(ageMs)} (max duration ${hours(maxMs)}): ${win.status}`,
      { ...numbers, ...win.numbers, max_duration_hours: maxMs / 3_600_000 },
    );
  }
  if (experiment.kind === ExperimentKind.BANDIT)
    return banditStep(experiment, policy, results, now);
  if (experiment.kind === ExperimentKind.SHADOW) {
    const s = results.shadows[0];
    if (s !== undefined) {
      return draft(
        DecisionAction.CONTINUE,
        `Shadow ${s.variant} agrees on ${pct(s.agreementRate)} of ${s.comparisons} comparisons (${pct(s.agreementCi?.lower ?? 0)}-${pct(s.agreementCi?.upper ?? 0)}), error rate ${pct(s.shadowErrorRate)}; keep comparing.`,
        {
          ...numbers,
          agreement_rate: s.agreementRate,
          comparisons: Number(s.comparisons),
          shadow_error_rate: s.shadowErrorRate,
        },
      );
    }
  }
  return draft(DecisionAction.CONTINUE, `Keep running: ${win.status}`, {
    ...numbers,
    ...win.numbers,
  });
}

function draft(
  action: experimentsV1.DecisionAction,
  reason: string,
  numbers: Record<string, number>,
  variant = '',
  weights?: Record<string, number>,
): DecisionDraft {
  const finite = Object.fromEntries(Object.entries(numbers).filter(([, v]) => Number.isFinite(v)));
  return weights === undefined
    ? { action, reason, numbers: finite, variant }
    : { action, reason, numbers: finite, variant, weights };
}

function srmRollback(
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

function guardrailsOf(experiment: experimentsV1.Experiment): experimentsV1.Guardrail[] {
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

function guardrailBreach(
  experiment: experimentsV1.Experiment,
  control: experimentsV1.VariantResult,
  treatments: readonly experimentsV1.VariantResult[],
  alpha: number,
): DecisionDraft | undefined {
  for (const guardrail of guardrailsOf(experiment)) {
    const spec = normalise(guardrail.metric!);
    const lowerIsBetter = spec.direction === MetricDirection.LOWER_IS_BETTER;
    const c = control.metrics.find((m) => m.metric === spec.name);
    for (const treatment of treatments) {
      const t = treatment.metrics.find((m) => m.metric === spec.name);
      if (c === undefined || t === undefined || t.n === 0n || c.n === 0n) continue;
      const relative = guardrail.relative && c.mean !== 0;
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

function canaryStep(
  experiment: experimentsV1.Experiment,
  policy: experimentsV1.DecisionPolicy,
  control: experimentsV1.VariantResult,
  treatments: readonly experimentsV1.VariantResult[],
): DecisionDraft | undefined {
  const info = experimentInfo(experiment);
  const canary = info.answering[1];
  if (canary === undefined) return undefined;
  const step = policy.canaryStep > 0 ? policy.canaryStep : DEFAULT_CANARY_STEP;
  const max = Math.min(
    1,
    policy.canaryMaxWeight > 0 ? policy.canaryMaxWeight : DEFAULT_CANARY_MAX_WEIGHT,
  );
  const share = info.shares.get(canary) ?? 0;
  if (share >= max - 1e-9) return undefined;
  const served = treatments.find((t) => t.variant === canary);
  const canaryRequests = Number(served?.requests ?? 0n);
  const controlRequests = Number(control.requests);
  // A canary at weight 0 gets no traffic to judge, so its first step needs control traffic only.
  if ((canaryRequests === 0 && share > 0) || controlRequests === 0) {
    return draft(
      DecisionAction.CONTINUE,
      `Canary ${canary} holds at ${pct(share)} until both it (${canaryRequests} requests) and ${control.variant} (${controlRequests}) have served traffic.`,
      { canary_weight: share, canary_requests: canaryRequests, control_requests: controlRequests },
    );
  }
  const next = Math.min(max, share + step);
  const weights: Record<string, number> = {};
  for (const name of info.answering) weights[name] = name === canary ? next : 0;
  weights[info.answering[0]] = 1 - next;
  return draft(
    DecisionAction.STEP,
    `Guardrails hold for canary ${canary} after ${canaryRequests} requests: weight ${pct(share)} -> ${pct(next)} (step ${pct(step)}, max ${pct(max)}).`,
    {
      previous_weight: share,
      weight: next,
      canary_step: step,
      canary_max_weight: max,
      canary_requests: canaryRequests,
    },
    canary,
    weights,
  );
}

interface WinnerCheck {
  draft?: DecisionDraft;
  /** Where the primary metric stands, for a CONTINUE or NO_DIFFERENCE sentence. */
  status: string;
  numbers: Record<string, number>;
}

function winner(
  experiment: experimentsV1.Experiment,
  policy: experimentsV1.DecisionPolicy,
  results: experimentsV1.Results,
  ageMs: number,
  alpha: number,
): WinnerCheck {
  const primary = experiment.primaryMetric;
  if (primary === undefined || primary.name === '') {
    return { status: 'no primary metric is set, so no variant can win.', numbers: {} };
  }
  const spec = normalise(primary);
  const lowerIsBetter = spec.direction === MetricDirection.LOWER_IS_BETTER;
  const [control, ...treatments] = results.variants;
  const c = control.metrics.find((m) => m.metric === spec.name);
  const minSample = Number(policy.minSampleSize);
  const minMs = durationMs(policy.minDuration);
  const bayesian = results.method === DecisionMethod.BAYESIAN;
  const candidates = treatments
    .map((t) => ({ variant: t.variant, m: t.metrics.find((x) => x.metric === spec.name) }))
    .filter((x): x is { variant: string; m: experimentsV1.MetricResult } => x.m !== undefined);
  if (c === undefined || candidates.length === 0) {
    return { status: `no data on ${spec.name} yet.`, numbers: {} };
  }
  const better = (m: experimentsV1.MetricResult) => (lowerIsBetter ? -m.difference : m.difference);
  const best = [...candidates].sort((a, b) => better(b.m) - better(a.m))[0];
  const wins = (m: experimentsV1.MetricResult) =>
    bayesian ? m.chanceToBeatControl >= 1 - alpha : m.significant && better(m) > 0;
  const leastN = Math.min(Number(c.n), ...candidates.map((x) => Number(x.m.n)));
  const numbers: Record<string, number> = {
    lift: best.m.lift,
    lift_lower: best.m.liftCi?.lower ?? 0,
    lift_upper: best.m.liftCi?.upper ?? 0,
    p_value: best.m.pValue,
    treatment_mean: best.m.mean,
    control_mean: c.mean,
    min_n: leastN,
    min_sample_size: minSample,
    age_hours: ageMs / 3_600_000,
    min_duration_hours: minMs / 3_600_000,
  };
  if (bayesian) numbers.chance_to_beat_control = best.m.chanceToBeatControl;
  const evidence = bayesian
    ? `chance to beat control ${pct(best.m.chanceToBeatControl)} (needs ${pct(1 - alpha)})`
    : `${pValue(best.m.pValue)} (alpha ${alpha})`;
  const status = `best treatment ${best.variant} has ${spec.name} ${metricValue(spec, best.m.mean)} vs ${metricValue(spec, c.mean)}, lift ${pct(best.m.lift)} (${pct(numbers.lift_lower)} to ${pct(numbers.lift_upper)}), ${evidence}; ${leastN} of ${minSample} observations per variant, ${hours(ageMs)} of ${hours(minMs)}.`;
  if (!wins(best.m) || leastN < minSample || ageMs < minMs) return { status, numbers };
  if (experiment.kind === ExperimentKind.SHADOW) return { status, numbers };
  return {
    status,
    numbers,
    draft: draft(
      DecisionAction.PROMOTE,
      `Promote ${best.variant}: ${status}`,
      numbers,
      best.variant,
    ),
  };
}

function banditStep(
  experiment: experimentsV1.Experiment,
  policy: experimentsV1.DecisionPolicy,
  results: experimentsV1.Results,
  now: Date,
): DecisionDraft {
  const primary =
    experiment.primaryMetric === undefined ? undefined : normalise(experiment.primaryMetric);
  if (primary === undefined || primary.type !== MetricType.BINARY) {
    return draft(
      DecisionAction.CONTINUE,
      `Bandit ${experiment.id} needs a binary primary metric to re-balance; weights unchanged.`,
      {},
    );
  }
  const lowerIsBetter = primary.direction === MetricDirection.LOWER_IS_BETTER;
  const arms = results.variants.map((v) => {
    const m = v.metrics.find((x) => x.metric === primary.name);
    const n = Number(m?.n ?? 0n);
    const successes = Math.round((m?.mean ?? 0) * n);
    return { n, successes: lowerIsBetter ? n - successes : successes };
  });
  const k = arms.length;
  if (k < 2) return draft(DecisionAction.CONTINUE, 'A bandit needs at least two arms.', {});
  const requested = policy.banditMinWeight > 0 ? policy.banditMinWeight : DEFAULT_BANDIT_MIN_WEIGHT;
  const minWeight = Math.min(requested, 0.99 / k);
  const shares = thompsonWeights(arms, createRandom(seedOf(experiment.id, now.getTime())), {
    minWeight,
    draws: BANDIT_DRAWS,
  });
  const weights: Record<string, number> = {};
  results.variants.forEach((v, i) => (weights[v.variant] = shares[i]));
  const bestIndex = shares.indexOf(Math.max(...shares));
  const numbers: Record<string, number> = { min_weight: minWeight };
  results.variants.forEach((v, i) => {
    numbers[`weight.${v.variant}`] = shares[i];
    numbers[`rate.${v.variant}`] = arms[i].n > 0 ? arms[i].successes / arms[i].n : 0;
  });
  return draft(
    DecisionAction.STEP,
    `Thompson sampling on ${primary.name}: ${results.variants.map((v, i) => `${v.variant} ${pct(shares[i])}`).join(', ')} (floor ${pct(minWeight)}); ${results.variants[bestIndex].variant} is most likely best.`,
    numbers,
    results.variants[bestIndex].variant,
    weights,
  );
}

/** 32-bit seed from an experiment id and a time. */
function seedOf(id: string, timeMs: number): number {
  let h = 0x811c9dc5 ^ (timeMs % 0x7fffffff);
  for (let i = 0; i < id.length; i++) h = Math.imul(h ^ id.charCodeAt(i), 0x01000193);
  return (h ^ Math.floor(timeMs / 0x7fffffff)) >>> 0;
}
