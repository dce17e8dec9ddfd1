import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import type { ExperimentClient } from './commands/analyzer-client';

/** The model the demo experiment splits; the dev model repository serves its versions 1 and 2. */
export const DEMO_MODEL = 'spam';

/** Policy numbers of the demo experiment. */
export const DEMO_POLICY = {
  /** How often the analyzer evaluates it. */
  intervalMs: 30_000,
  alpha: 0.05,
  /** Observations per variant before a promotion. */
  minSampleSize: 1000n,
  /** Earliest promotion after the start. */
  minDurationMs: 10 * 60_000,
  /** "No difference" after two weeks. */
  maxDurationMs: 14 * 24 * 3_600_000,
  srmAlpha: 0.001,
  /** Tolerated absolute rise of the error rate over control. */
  errorRateDegradation: 0.01,
  /** Tolerated relative rise of p99 latency over control's. */
  latencyDegradation: 0.5,
} as const;

/**
 * The experiment `verdict dev` seeds: an A/B test of spam:2 (treatment) against spam:1
 * (control), 50/50, sticky by the `x-verdict-unit` header, decided on the outcome metric
 * `correct` with error rate and p99 latency as guardrails, sequential testing, auto-apply on.
 */
export function demoExperiment(): experimentsV1.Experiment {
  const lower = experimentsV1.MetricDirection.LOWER_IS_BETTER;
  return create(experimentsV1.ExperimentSchema, {
    name: 'spam-v2-vs-v1',
    team: 'demo',
    model: DEMO_MODEL,
    kind: experimentsV1.ExperimentKind.AB,
    description:
      'Demo seeded by verdict dev: is the MLP (spam:2) more often right than logistic regression (spam:1)?',
    unitType: 'user',
    variants: [
      {
        name: 'control',
        target: { case: 'version', value: 1n },
        pool: 'default',
        weight: 50,
        role: experimentsV1.VariantRole.CONTROL,
      },
      {
        name: 'treatment',
        target: { case: 'version', value: 2n },
        pool: 'default',
        weight: 50,
        role: experimentsV1.VariantRole.TREATMENT,
      },
    ],
    primaryMetric: {
      name: 'correct',
      type: experimentsV1.MetricType.BINARY,
      direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
    },
    guardrails: [
      {
        metric: { name: 'error_rate', type: experimentsV1.MetricType.BINARY, direction: lower },
        maxDegradation: DEMO_POLICY.errorRateDegradation,
        relative: false,
      },
      {
        metric: {
          name: 'latency',
          type: experimentsV1.MetricType.LATENCY,
          direction: lower,
          percentile: 99,
        },
        maxDegradation: DEMO_POLICY.latencyDegradation,
        relative: true,
      },
    ],
    policy: {
      interval: durationFromMs(DEMO_POLICY.intervalMs),
      alpha: DEMO_POLICY.alpha,
      minSampleSize: DEMO_POLICY.minSampleSize,
      minDuration: durationFromMs(DEMO_POLICY.minDurationMs),
      maxDuration: durationFromMs(DEMO_POLICY.maxDurationMs),
      method: experimentsV1.DecisionMethod.SEQUENTIAL,
      srmAlpha: DEMO_POLICY.srmAlpha,
      autoApply: true,
    },
  });
}

/** What seeding found or did. */
export interface DemoSeed {
  readonly experiment: experimentsV1.Experiment;
  /** False when an experiment on the demo model already existed and was left as it is. */
  readonly created: boolean;
}

/**
 * Creates and starts the demo experiment unless an experiment on `spam` exists already (in any
 * state: a person's own experiment, or the demo from an earlier run, is left alone).
 */
export async function seedDemoExperiment(client: ExperimentClient): Promise<DemoSeed> {
  const { experiments } = await client.listExperiments({ model: DEMO_MODEL, pageSize: 1 });
  if (experiments.length > 0) return { experiment: experiments[0], created: false };
  const { experiment } = await client.createExperiment({ experiment: demoExperiment() });
  const started = await client.startExperiment({
    id: experiment!.id,
    reason: 'demo experiment seeded by verdict dev',
  });
  return { experiment: started.experiment!, created: true };
}
