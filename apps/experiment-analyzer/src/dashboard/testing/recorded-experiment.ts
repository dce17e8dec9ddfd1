/**
 * A dashboard source over real data for tests and local demos: an A/B experiment (spam v1
 * against v2, with a shadow v3) whose generated traffic goes through the analyzer's own ingest
 * into a memory Store, read back by the real results reader; decisions from the real policy
 * evaluation at a few moments of its life; drift as PSI per feature (from @verdict/stats) of
 * generated input windows, one feature shifted by half a standard deviation halfway through.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { binCounts, createRandom, psiFromCounts, quantileEdges } from '@verdict/stats';
import { openMemoryStore } from '@verdict/store';
import type { Logger } from '@verdict/telemetry';
import { evaluatePolicy } from '../../decisions';
import { createIngest } from '../../ingest';
import { createResultsReader } from '../../results';
import type { DashboardSource, DriftPoint } from '../source';

/** Options of {@link recordExperiment}. */
export interface RecordedExperimentOptions {
  /** Requests routed over the experiment's life. @default 20000 */
  readonly requests?: number;
  /** Life of the experiment up to now, in ms. @default 30 minutes */
  readonly durationMs?: number;
  /** Statistics window of ingest and results, in ms. @default one minute */
  readonly windowMs?: number;
  /** @default Date.now() */
  readonly nowMs?: number;
  /** Time between two drift windows of the model's inputs. @default 2 minutes */
  readonly driftWindowMs?: number;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
}

export interface RecordedExperiment {
  readonly source: DashboardSource;
  readonly experiment: experimentsV1.Experiment;
  /** Statistics window of ingest and results, in ms (the dashboard's `timeseries.minStepMs`). */
  readonly windowMs: number;
  /** Events that went through ingest. */
  readonly counts: { exposures: number; outcomes: number; shadowComparisons: number };
  close(): Promise<void>;
}

const MINUTE = 60_000;
const PSI_THRESHOLD = 0.1;

export function spamExperiment(startMs: number): experimentsV1.Experiment {
  const { MetricType, MetricDirection, VariantRole } = experimentsV1;
  return create(experimentsV1.ExperimentSchema, {
    id: 'exp-spam-ab',
    name: 'spam v1 vs v2',
    team: 'ml',
    model: 'spam',
    kind: experimentsV1.ExperimentKind.AB,
    state: experimentsV1.ExperimentState.RUNNING,
    unitType: 'user',
    variants: [
      {
        name: 'control',
        target: { case: 'version', value: 1n },
        pool: 'default',
        weight: 50,
        role: VariantRole.CONTROL,
      },
      {
        name: 'treatment',
        target: { case: 'version', value: 2n },
        pool: 'default',
        weight: 50,
        role: VariantRole.TREATMENT,
      },
      {
        name: 'shadow',
        target: { case: 'version', value: 3n },
        pool: 'default',
        role: VariantRole.SHADOW,
        shadowSampleRate: 0.2,
      },
    ],
    primaryMetric: {
      name: 'correct',
      type: MetricType.BINARY,
      direction: MetricDirection.HIGHER_IS_BETTER,
    },
    guardrails: [
      {
        metric: {
          name: 'error_rate',
          type: MetricType.BINARY,
          direction: MetricDirection.LOWER_IS_BETTER,
        },
        maxDegradation: 0.01,
      },
      {
        metric: {
          name: 'latency',
          type: MetricType.LATENCY,
          direction: MetricDirection.LOWER_IS_BETTER,
          percentile: 99,
        },
        maxDegradation: 0.2,
        relative: true,
      },
    ],
    policy: {
      alpha: 0.05,
      method: experimentsV1.DecisionMethod.SEQUENTIAL,
      srmAlpha: 0.001,
      minSampleSize: 500n,
      minDuration: { seconds: 600n },
      maxDuration: { seconds: 14n * 86400n },
    },
    version: 1n,
    createTime: timestampFromMs(startMs),
    startTime: timestampFromMs(startMs),
  });
}

export async function recordExperiment(
  options: RecordedExperimentOptions,
): Promise<RecordedExperiment> {
  const requests = options.requests ?? 20_000;
  const durationMs = options.durationMs ?? 30 * MINUTE;
  const windowMs = options.windowMs ?? MINUTE;
  const nowMs = options.nowMs ?? Date.now();
  const startMs = nowMs - durationMs;
  const experiment = spamExperiment(startMs);
  const store = await openMemoryStore();
  const ingest = createIngest({
    store,
    experiment: (id) => (id === experiment.id ? experiment : undefined),
    now: () => new Date(nowMs),
    logger: options.logger,
    options: { windowMs },
  });
  const random = createRandom(7);
  const accuracy: Record<string, number> = { control: 0.85, treatment: 0.9 };
  const errorRate: Record<string, number> = { control: 0.004, treatment: 0.005 };
  const users = Math.max(10, Math.floor(requests / 4));
  const counts = { exposures: 0, outcomes: 0, shadowComparisons: 0 };
  const batch = 2000;
  for (let first = 0; first < requests; first += batch) {
    const exposures: experimentsV1.ExposureEvent[] = [];
    const outcomes: experimentsV1.Outcome[] = [];
    const comparisons: experimentsV1.ShadowComparison[] = [];
    for (let i = first; i < Math.min(requests, first + batch); i++) {
      const timeMs = startMs + Math.floor(((i + 0.5) / requests) * durationMs);
      const user = Math.floor(random.uniform() * users);
      // Sticky 50/50 by unit, as a router's hash would do.
      const variant = (user * 2654435761) % 4294967296 < 2147483648 ? 'control' : 'treatment';
      const requestId = `req-${i}`;
      const failed = random.uniform() < errorRate[variant];
      const latencyUs = Math.round(
        (variant === 'control' ? 4000 : 4200) * Math.exp(0.3 * random.normal()),
      );
      exposures.push(
        create(experimentsV1.ExposureEventSchema, {
          eventId: `x-${i}`,
          experimentId: experiment.id,
          variant,
          unitId: `user-${user}`,
          requestId,
          model: 'spam',
          modelVersion: variant === 'control' ? '1' : '2',
          time: timestampFromMs(timeMs),
          latencyUs: BigInt(latencyUs),
          statusCode: failed ? 13 : 0,
          routingTableVersion: 1n,
        }),
      );
      if (failed) continue;
      outcomes.push(
        create(experimentsV1.OutcomeSchema, {
          eventId: `o-${i}`,
          subject: { case: 'requestId', value: requestId },
          experimentId: experiment.id,
          metric: 'correct',
          value: random.uniform() < accuracy[variant] ? 1 : 0,
          time: timestampFromMs(timeMs + 1000),
        }),
      );
      if (random.uniform() < 0.2) {
        const diff = Math.abs(0.05 * random.normal());
        comparisons.push(
          create(experimentsV1.ShadowComparisonSchema, {
            eventId: `s-${i}`,
            experimentId: experiment.id,
            primaryVariant: variant,
            shadowVariant: 'shadow',
            requestId,
            time: timestampFromMs(timeMs),
            outputsAgree: random.uniform() < 0.93,
            maxAbsDiff: diff * 2,
            meanAbsDiff: diff,
            primaryLatencyUs: BigInt(latencyUs),
            shadowLatencyUs: BigInt(latencyUs + 300),
            shadowStatusCode: 0,
          }),
        );
      }
    }
    const exposed = await ingest.recordExposures(
      create(experimentsV1.RecordExposuresRequestSchema, { events: exposures }),
    );
    const attributed = await ingest.recordOutcomes(
      create(experimentsV1.RecordOutcomesRequestSchema, { outcomes }),
    );
    const compared = await ingest.recordShadowComparisons(
      create(experimentsV1.RecordShadowComparisonsRequestSchema, { comparisons }),
    );
    counts.exposures += Number(exposed.acceptedCount);
    counts.outcomes += Number(attributed.acceptedCount);
    counts.shadowComparisons += Number(compared.acceptedCount);
  }
  await ingest.flush();
  const reader = createResultsReader(store, { windowMs, now: () => new Date(nowMs) });

  // What the decision loop would have recorded at five moments of the experiment's life.
  const decisions: experimentsV1.Decision[] = [];
  for (let step = 1; step <= 5; step++) {
    const atMs = startMs + (step * durationMs) / 5;
    const results = await reader.results(experiment, { end: new Date(atMs) });
    const draft = evaluatePolicy(experiment, results, new Date(atMs));
    decisions.unshift(
      create(experimentsV1.DecisionSchema, {
        id: `decision-${step}`,
        experimentId: experiment.id,
        time: timestampFromMs(atMs),
        action: draft.action,
        reason: draft.reason,
        numbers: draft.numbers,
        variant: draft.variant,
        actor: 'spiffe://verdict.local/ns/default/sa/experiment-analyzer',
        experimentVersion: experiment.version,
        applied: false,
      }),
    );
  }

  const drift = driftPoints(startMs, nowMs, options.driftWindowMs ?? 2 * MINUTE);
  const source: DashboardSource = {
    listExperiments: async () => [experiment],
    experiment: async (id) => (id === experiment.id ? experiment : undefined),
    results: (exp, range) => reader.results(exp, range),
    decisions: async (id) => (id === experiment.id ? decisions : []),
    drift: async (model) => ({
      points: model === experiment.model ? drift : [],
      psiThreshold: PSI_THRESHOLD,
    }),
  };
  return {
    source,
    experiment,
    windowMs,
    counts,
    async close() {
      await ingest.close();
      await store.close();
    },
  };
}

/**
 * PSI of three input features, a window of 500 rows every `everyMs`; `length` drifts by half a
 * standard deviation in the second half.
 */
function driftPoints(startMs: number, endMs: number, everyMs: number): DriftPoint[] {
  const random = createRandom(11);
  const features = ['length', 'links', 'caps_ratio'];
  const draw = (shift: number) => Array.from({ length: 500 }, () => random.normal() + shift);
  const reference = features.map(() => Array.from({ length: 5000 }, () => random.normal()));
  const edges = reference.map((values) => quantileEdges(values, 10));
  const referenceCounts = reference.map((values, f) => binCounts(values, edges[f]));
  const points: DriftPoint[] = [];
  for (let t = startMs + everyMs; t <= endMs; t += everyMs) {
    const shifted = t > (startMs + endMs) / 2;
    features.forEach((feature, f) => {
      const current = binCounts(draw(shifted && feature === 'length' ? 0.5 : 0), edges[f]);
      const value = psiFromCounts(referenceCounts[f], current);
      points.push({ time: new Date(t), feature, psi: value, drifted: value >= PSI_THRESHOLD });
    });
  }
  return points;
}
