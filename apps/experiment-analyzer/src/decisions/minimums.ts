/**
 * The minimum evidence any decision waits for, when the policy leaves it at 0. The sequential
 * tests stay valid at every look, so these are not about false positives: they keep a
 * promotion from resting on a few hundred early adopters or on one weekday, and a guardrail
 * from firing on a handful of requests (the analyzer once rolled back on a latency difference
 * with n = 1 against n = 2).
 */
import { experimentsV1 } from '@verdict/proto';
import { durationMs } from './format';

const { ExperimentKind } = experimentsV1;

/**
 * Observations every variant needs before any PROMOTE or guardrail ROLLBACK: the size at which
 * the normal approximations behind every test (delta method, Wald, mSPRT) are routinely
 * trusted, and a tenth of what the default mixing parameter is tuned for.
 */
export const DEFAULT_MIN_SAMPLE_SIZE = 100;
/** Least age before an A/B or bandit promotion: one full weekly cycle of traffic. */
export const DEFAULT_MIN_DURATION_MS = 7 * 24 * 3_600_000;
/**
 * Least age before a canary promotion: none beyond its steps. A canary reaches its max weight
 * only through several evaluations with guardrails holding, and it answers "is the new
 * version safe", not "which weekday mix wins", so a weekly cycle would only delay a rollout.
 */
export const DEFAULT_CANARY_MIN_DURATION_MS = 0;

/** The policy's minimum sample and duration, with the defaults where it leaves them at 0. */
export function minimumsOf(
  experiment: experimentsV1.Experiment,
  policy: experimentsV1.DecisionPolicy,
): { minSample: number; minMs: number } {
  const sample = Number(policy.minSampleSize);
  const ms = durationMs(policy.minDuration);
  return {
    minSample: sample > 0 ? sample : DEFAULT_MIN_SAMPLE_SIZE,
    minMs:
      ms > 0
        ? ms
        : experiment.kind === ExperimentKind.CANARY
          ? DEFAULT_CANARY_MIN_DURATION_MS
          : DEFAULT_MIN_DURATION_MS,
  };
}
