import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { createMemoryStore } from '@verdict/store';
import {
  T0,
  exposure,
  exposures,
  outcome,
  outcomes,
  testExperiment,
} from '../ingest/experiment-fixture';
import { createIngest, type IngestDeps } from '../ingest/ingest';
import { createResultsReader } from '../results/results-reader';
import { evaluatePolicy } from './evaluate-policy';

const HOUR = 3_600_000;
const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];
const {
  DecisionAction,
  DecisionMethod,
  ExperimentKind,
  ExperimentState,
  MetricDirection,
  MetricType,
  VariantRole,
} = experimentsV1;

interface Arm {
  units: number;
  /** Share of requests that fail. */
  errorRate?: number;
  /** Share of units that click. */
  clickRate?: number;
  latencyUs?: (i: number) => number;
}

/** Results of an experiment after feeding each arm through a real ingest into a memory store. */
async function resultsOf(experiment: experimentsV1.Experiment, arms: Record<string, Arm>) {
  const store = createMemoryStore();
  const ingest = createIngest({
    store,
    experiment: () => experiment,
    now: () => new Date(T0),
    logger,
  });
  for (const [variant, arm] of Object.entries(arms)) {
    const errorEvery = arm.errorRate ? Math.round(1 / arm.errorRate) : 0;
    const clickEvery = arm.clickRate ? Math.round(1 / arm.clickRate) : 0;
    await ingest.recordExposures(
      exposures(
        Array.from({ length: arm.units }, (_, i) =>
          exposure(`${variant}-${i}`, variant, `${variant}-${i}`, {
            status: errorEvery > 0 && i % errorEvery === 0 ? 13 : 0,
            latencyUs: arm.latencyUs?.(i) ?? 1000 + (i % 200),
          }),
        ),
      ),
    );
    await ingest.recordOutcomes(
      outcomes(
        Array.from({ length: arm.units }, (_, i) =>
          outcome(
            `${variant}-o${i}`,
            `${variant}-${i}`,
            'click',
            clickEvery > 0 && i % clickEvery === 0 ? 1 : 0,
          ),
        ),
      ),
    );
  }
  await ingest.close();
  return createResultsReader(store, { now: () => new Date(T0) }).results(experiment);
}

const at = (hours: number) => new Date(T0 + hours * HOUR);

describe('evaluatePolicy', () => {
  it('rolls back at once when the treatment fails 5% of its requests', async () => {
    const experiment = testExperiment();
    const results = await resultsOf(experiment, {
      control: { units: 2000, clickRate: 0.1 },
      treatment: { units: 2000, clickRate: 0.1, errorRate: 0.05 },
    });
    const draft = evaluatePolicy(experiment, results, at(0.1));
    expect(draft.action).toBe(DecisionAction.ROLLBACK);
    expect(draft.variant).toBe('treatment');
    expect(draft.reason).toMatch(/error_rate/);
    expect(draft.reason).toMatch(/5%/);
    expect(draft.numbers.treatment_mean).toBeCloseTo(0.05, 12);
    expect(draft.numbers.control_mean).toBe(0);
    expect(draft.numbers.p_value).toBeLessThan(0.05);
  });

  it('does not roll back on a handful of errors that are not significant', async () => {
    const experiment = testExperiment();
    const results = await resultsOf(experiment, {
      control: { units: 200, clickRate: 0.1 },
      treatment: { units: 200, clickRate: 0.1, errorRate: 0.005 },
    });
    expect(evaluatePolicy(experiment, results, at(0.1)).action).toBe(DecisionAction.CONTINUE);
  });

  it('rolls back on a latency p99 guardrail breached against control', async () => {
    const experiment = testExperiment({
      guardrails: [
        {
          metric: { name: 'latency', type: MetricType.LATENCY, percentile: 99 },
          maxDegradation: 0.1,
          relative: true,
        },
      ],
    });
    const results = await resultsOf(experiment, {
      control: { units: 3000, latencyUs: (i) => 1000 + (i % 100) * 10 },
      treatment: { units: 3000, latencyUs: (i) => 2000 + (i % 100) * 20 },
    });
    const draft = evaluatePolicy(experiment, results, at(1));
    expect(draft.action).toBe(DecisionAction.ROLLBACK);
    expect(draft.reason).toMatch(/Guardrail latency breached/);
    expect(draft.numbers.degradation_lower).toBeGreaterThan(0.1);
  });

  it('rolls back on a sample ratio mismatch', async () => {
    const experiment = testExperiment();
    const results = await resultsOf(experiment, {
      control: { units: 10_400 },
      treatment: { units: 9_600 },
    });
    const draft = evaluatePolicy(experiment, results, at(1));
    expect(draft.action).toBe(DecisionAction.ROLLBACK);
    expect(draft.reason).toMatch(
      /Sample ratio mismatch: units split 52%\/48% against configured 50%\/50%/,
    );
    expect(draft.numbers.p_value).toBeLessThan(0.001);
  });

  describe('a canary that is better on the primary metric', () => {
    const canary = (weight: number) =>
      testExperiment({
        kind: ExperimentKind.CANARY,
        variants: [
          { name: 'stable', weight: 1 - weight, role: VariantRole.CONTROL },
          { name: 'canary', weight, role: VariantRole.TREATMENT },
        ],
        policy: {
          alpha: 0.05,
          method: DecisionMethod.SEQUENTIAL,
          canaryStep: 0.1,
          canaryMaxWeight: 0.5,
          minSampleSize: 1000n,
          minDuration: { seconds: 3600n },
        },
      });

    it('is stepped up while below its max weight', async () => {
      const experiment = canary(0.1);
      const results = await resultsOf(experiment, {
        stable: { units: 9000, clickRate: 0.1 },
        canary: { units: 1000, clickRate: 0.2 },
      });
      const draft = evaluatePolicy(experiment, results, at(2));
      expect(draft.action).toBe(DecisionAction.STEP);
      expect(draft.variant).toBe('canary');
      expect(draft.weights?.canary).toBeCloseTo(0.2, 12);
      expect(draft.weights?.stable).toBeCloseTo(0.8, 12);
      expect(draft.reason).toMatch(/10% -> 20%/);
    });

    it('takes its first step from weight 0 on control traffic alone, then waits for its own', async () => {
      const zero = canary(0);
      const results = await resultsOf(zero, { stable: { units: 100 } });
      const draft = evaluatePolicy(zero, results, at(1));
      expect(draft.action).toBe(DecisionAction.STEP);
      expect(draft.weights?.canary).toBeCloseTo(0.1, 12);
      const stepped = canary(0.1);
      // 20 units, none on the canary yet: not enough for a sample-ratio mismatch.
      const waiting = evaluatePolicy(
        stepped,
        await resultsOf(stepped, { stable: { units: 20 } }),
        at(1),
      );
      expect(waiting.action).toBe(DecisionAction.CONTINUE);
      expect(waiting.reason).toMatch(/holds at 10%/);
    });

    it('is promoted at its max weight once it wins with enough samples and time', async () => {
      const experiment = canary(0.5);
      const results = await resultsOf(experiment, {
        stable: { units: 3000, clickRate: 0.1 },
        canary: { units: 3000, clickRate: 0.2 },
      });
      const draft = evaluatePolicy(experiment, results, at(2));
      expect(draft.action).toBe(DecisionAction.PROMOTE);
      expect(draft.variant).toBe('canary');
      expect(draft.numbers.lift).toBeCloseTo(1, 1);
      expect(draft.reason).toMatch(/^Promote canary: .*lift 100%/);
      // Same evidence before min_duration: keep running.
      expect(evaluatePolicy(experiment, results, at(0.5)).action).toBe(DecisionAction.CONTINUE);
    });

    it('waits for min_sample_size before promoting', async () => {
      const experiment = canary(0.5);
      const results = await resultsOf(experiment, {
        stable: { units: 900, clickRate: 0.1 },
        canary: { units: 900, clickRate: 0.3 },
      });
      const draft = evaluatePolicy(experiment, results, at(2));
      expect(draft.action).toBe(DecisionAction.CONTINUE);
      expect(draft.numbers.min_n).toBe(900);
    });
  });

  it('concludes no difference at max duration and continues before it', async () => {
    const experiment = testExperiment({
      policy: {
        alpha: 0.05,
        method: DecisionMethod.SEQUENTIAL,
        maxDuration: { seconds: 48n * 3600n },
      },
    });
    const results = await resultsOf(experiment, {
      control: { units: 1000, clickRate: 0.1 },
      treatment: { units: 1000, clickRate: 0.1 },
    });
    expect(evaluatePolicy(experiment, results, at(47)).action).toBe(DecisionAction.CONTINUE);
    const done = evaluatePolicy(experiment, results, at(48));
    expect(done.action).toBe(DecisionAction.NO_DIFFERENCE);
    expect(done.reason).toMatch(/^No winner after 2 days/);
  });

  it('promotes with the Bayesian method when the chance to beat control reaches 1 - alpha', async () => {
    const experiment = testExperiment({
      policy: {
        alpha: 0.05,
        method: DecisionMethod.BAYESIAN,
        minSampleSize: 100n,
        minDuration: { seconds: 3600n },
      },
    });
    const results = await resultsOf(experiment, {
      control: { units: 1000, clickRate: 0.1 },
      treatment: { units: 1000, clickRate: 0.125 },
    });
    const draft = evaluatePolicy(experiment, results, at(2));
    expect(draft.action).toBe(DecisionAction.PROMOTE);
    expect(draft.numbers.chance_to_beat_control).toBeGreaterThanOrEqual(0.95);
  });

  it('re-balances a bandit by Thompson sampling, keeping every arm at its minimum weight', async () => {
    const experiment = testExperiment({
      kind: ExperimentKind.BANDIT,
      variants: [
        { name: 'a', weight: 1, role: VariantRole.CONTROL },
        { name: 'b', weight: 1, role: VariantRole.TREATMENT },
        { name: 'c', weight: 1, role: VariantRole.TREATMENT },
      ],
      primaryMetric: {
        name: 'click',
        type: MetricType.BINARY,
        direction: MetricDirection.HIGHER_IS_BETTER,
      },
      policy: {
        alpha: 0.05,
        method: DecisionMethod.SEQUENTIAL,
        banditMinWeight: 0.1,
        minSampleSize: 100_000n,
      },
    });
    const results = await resultsOf(experiment, {
      a: { units: 300, clickRate: 0.1 },
      b: { units: 300, clickRate: 0.2 },
      c: { units: 300, clickRate: 0.1 },
    });
    const draft = evaluatePolicy(experiment, results, at(2));
    expect(draft.action).toBe(DecisionAction.STEP);
    expect(draft.variant).toBe('b');
    const w = draft.weights!;
    expect(w.a + w.b + w.c).toBeCloseTo(1, 12);
    expect(Math.min(w.a, w.b, w.c)).toBeGreaterThanOrEqual(0.1);
    expect(w.b).toBeGreaterThan(0.6);
    // Pure: the same inputs give the same draft.
    expect(evaluatePolicy(experiment, results, at(2))).toEqual(draft);
  });

  it('decides nothing for an experiment that is not running', async () => {
    const experiment = testExperiment({
      state: ExperimentState.PAUSED,
      startTime: timestampFromMs(T0),
    });
    const results = await resultsOf(experiment, {
      control: { units: 100 },
      treatment: { units: 100, errorRate: 0.5 },
    });
    expect(evaluatePolicy(experiment, results, at(1)).action).toBe(DecisionAction.CONTINUE);
  });
});
