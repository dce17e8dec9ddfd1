/** The rules that move traffic without concluding: a canary step and a bandit re-balance. */
import { experimentsV1 } from '@verdict/proto';
import { createRandom } from '@verdict/stats';
import { experimentInfo } from '../ingest/experiment-info';
import { normalise } from '../results/metric-specs';
import { draft, type DecisionDraft } from './draft';
import { pct } from './format';

const { DecisionAction, MetricDirection, MetricType } = experimentsV1;

/** Canary step when the policy leaves canary_step at 0. */
export const DEFAULT_CANARY_STEP = 0.1;
/** Largest canary weight when the policy leaves canary_max_weight at 0. */
export const DEFAULT_CANARY_MAX_WEIGHT = 0.5;
/** Least bandit arm share when the policy leaves bandit_min_weight at 0. */
export const DEFAULT_BANDIT_MIN_WEIGHT = 0.05;
/** Joint posterior draws of a bandit re-balance. */
export const BANDIT_DRAWS = 10_000;

/**
 * STEP of a canary below its max weight once both sides served traffic (a canary at weight 0
 * needs control traffic only); undefined at its max weight.
 */
export function canaryStep(
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

/**
 * STEP with Thompson-sampling weights on a binary primary metric. Each treatment's draw comes
 * from the normal posterior of its period-stratified difference against control (control draws
 * 0), not from Beta posteriors of pooled totals: a base rate that drifts while the weights
 * change moves pooled rates apart even between identical arms and would drive the allocation to
 * one of them, while the stratified difference compares arms within each period only. An arm
 * whose comparison is refused draws from a wide prior, N(0, 1), and keeps being explored.
 */
export function banditStep(
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
  const sign = primary.direction === MetricDirection.LOWER_IS_BETTER ? -1 : 1;
  const k = results.variants.length;
  if (k < 2) return draft(DecisionAction.CONTINUE, 'A bandit needs at least two arms.', {});
  const posteriors = results.variants.map((v, i) => {
    if (i === 0) return { mean: 0, sd: 0 };
    const m = v.metrics.find((x) => x.metric === primary.name);
    if (m === undefined || m.insufficientData !== '' || !(m.differenceSe > 0)) {
      return { mean: 0, sd: 1 };
    }
    return { mean: sign * m.difference, sd: m.differenceSe };
  });
  const requested = policy.banditMinWeight > 0 ? policy.banditMinWeight : DEFAULT_BANDIT_MIN_WEIGHT;
  const minWeight = Math.min(requested, 0.99 / k);
  const random = createRandom(seedOf(experiment.id, now.getTime()));
  const wins = new Array<number>(k).fill(0);
  for (let d = 0; d < BANDIT_DRAWS; d++) {
    let best = 0;
    let bestValue = -Infinity;
    posteriors.forEach((p, i) => {
      const value = p.mean + p.sd * random.normal();
      if (value > bestValue) {
        bestValue = value;
        best = i;
      }
    });
    wins[best]++;
  }
  const shares = wins.map((w) => minWeight + (1 - k * minWeight) * (w / BANDIT_DRAWS));
  const weights: Record<string, number> = {};
  results.variants.forEach((v, i) => (weights[v.variant] = shares[i]));
  const bestIndex = shares.indexOf(Math.max(...shares));
  const numbers: Record<string, number> = { min_weight: minWeight };
  results.variants.forEach((v, i) => {
    numbers[`weight.${v.variant}`] = shares[i];
    numbers[`difference.${v.variant}`] = sign * posteriors[i].mean;
  });
  return draft(
    DecisionAction.STEP,
    `Thompson sampling on ${primary.name} (period-stratified differences against ${results.variants[0].variant}): ${results.variants.map((v, i) => `${v.variant} ${pct(shares[i])}`).join(', ')} (floor ${pct(minWeight)}); ${results.variants[bestIndex].variant} is most likely best.`,
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
