import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { normalise } from '../results/metric-specs';
import { DEFAULT_ALPHA } from '../results/compute-results';
import { draft, type DecisionDraft } from './draft';
import { count, duration, durationMs, metricValue, pValue, pct } from './format';
import { minimumsOf } from './minimums';
import { guardrailBreach, srmRollback } from './rollback-rules';
import { banditStep, canaryStep } from './traffic-rules';

const { DecisionAction, DecisionMethod, ExperimentKind, ExperimentState, MetricDirection } =
  experimentsV1;

/**
 * The decision for an experiment, given its results now (pure: the same inputs give the same
 * draft; the bandit's random draws are seeded by experiment id and time). In order:
 * 1. a sample-ratio mismatch or a guardrail breached with significance -> ROLLBACK;
 * 2. canary below its max weight, guardrails holding and traffic on both sides -> STEP;
 * 3. a treatment that wins on the primary metric at 1 - alpha with min_sample_size on every
 *    variant and min_duration reached (a canary only at its max weight) -> PROMOTE; a
 *    comparison refused as insufficient data never wins, and min_sample_size and min_duration
 *    left at 0 take the defaults of ./minimums (100 per variant; 7 days, 0 for a canary);
 * 4. max_duration reached -> NO_DIFFERENCE;
 * 5. bandit -> STEP with Thompson weights (floor bandit_min_weight); else CONTINUE.
 * error_rate is a guardrail of every experiment (absolute, 0 tolerated) unless configured;
 * guardrails wait for the same min_sample_size on both sides.
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
  const { minSample } = minimumsOf(experiment, policy);
  const breach = guardrailBreach(experiment, control, treatments, alpha, minSample);
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
      `No winner after ${duration(ageMs)} (max duration ${duration(maxMs)}): ${win.status}`,
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
  const { minSample, minMs } = minimumsOf(experiment, policy);
  const bayesian = results.method === DecisionMethod.BAYESIAN;
  const all = treatments
    .map((t) => ({ variant: t.variant, m: t.metrics.find((x) => x.metric === spec.name) }))
    .filter((x): x is { variant: string; m: experimentsV1.MetricResult } => x.m !== undefined);
  const candidates = all.filter((x) => x.m.insufficientData === '');
  if (c === undefined || all.length === 0) {
    return { status: `no data on ${spec.name} yet.`, numbers: {} };
  }
  if (candidates.length === 0) {
    return {
      status: `insufficient data on ${spec.name}: ${all.map((x) => `${x.variant}: ${x.m.insufficientData}`).join('; ')}.`,
      numbers: {},
    };
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
  const status = `best treatment ${best.variant} has ${spec.name} ${metricValue(spec, best.m.mean)} vs ${metricValue(spec, c.mean)}, lift ${pct(best.m.lift)} (${pct(numbers.lift_lower)} to ${pct(numbers.lift_upper)}), ${evidence}; ${count(leastN)} observations per variant (${count(minSample)} needed), running ${duration(ageMs)} (${duration(minMs)} needed).`;
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
