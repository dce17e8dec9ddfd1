/**
 * The cases of issue 21 through the analyzer's results and decisions: a negative control mean
 * keeps the sign of the lift, a zero-variance arm and tiny samples are refused and never acted
 * on, and a ratio metric is analysed by the delta method.
 */
import { experimentsV1 } from '@verdict/proto';
import { estimated, ratioTTest } from '@verdict/stats';
import { evaluatePolicy } from '../decisions/evaluate-policy';
import { T0, testExperiment } from '../ingest/experiment-fixture';
import { ERROR_RATE_METRIC, FIELD, LATENCY_METRIC, UNITS_METRIC } from '../ingest/stat-keys';
import { bucketOf } from '../ingest/latency-buckets';
import type { Aggregates, VariantMetrics } from './aggregates';
import { computeResults } from './compute-results';

const { DecisionAction, DecisionMethod, MetricType } = experimentsV1;

type Fields = Record<string, Record<string, number>>;

function aggregatesOf(variants: Record<string, Fields>): Aggregates {
  const totals: VariantMetrics = new Map();
  for (const [variant, metrics] of Object.entries(variants)) {
    totals.set(
      variant,
      new Map(Object.entries(metrics).map(([m, f]) => [m, new Map(Object.entries(f))])),
    );
  }
  return { windows: [], totals, byWindow: new Map(), shadowMax: new Map() };
}

const units = (n: number) => ({ [UNITS_METRIC]: { [FIELD.n]: n, [FIELD.expected]: n } });

function metricOf(results: experimentsV1.Results, name: string) {
  return results.variants[1].metrics.find((m) => m.metric === name)!;
}

describe('insufficient data and signs in the results', () => {
  it('reports a positive lift for the higher treatment over a negative control mean', () => {
    const experiment = testExperiment({
      primaryMetric: { name: 'score', type: MetricType.CONTINUOUS },
      policy: { method: DecisionMethod.FIXED },
    });
    const results = computeResults(
      experiment,
      aggregatesOf({
        control: { ...units(1000), score: { n: 1000, sum: -500, sum2: 1250 } },
        treatment: { ...units(1000), score: { n: 1000, sum: -450, sum2: 1202.5 } },
      }),
      new Date(T0),
    );
    const score = metricOf(results, 'score');
    expect(score.lift).toBeCloseTo(0.1, 12);
    expect(score.liftCi!.lower).toBeLessThan(0.1);
    expect(score.insufficientData).toBe('');
  });

  it('refuses a latency comparison on n = 1 against n = 2 and takes no decision on it', () => {
    const experiment = testExperiment({
      guardrails: [{ metric: { name: LATENCY_METRIC }, maxDegradation: 0 }],
    });
    const bucket = (us: number) => `${FIELD.bucketPrefix}${bucketOf(us)}`;
    const results = computeResults(
      experiment,
      aggregatesOf({
        control: {
          ...units(1),
          [LATENCY_METRIC]: { n: 1, [bucket(1000)]: 1 },
          [ERROR_RATE_METRIC]: { n: 1, s: 0 },
        },
        treatment: {
          ...units(2),
          [LATENCY_METRIC]: { n: 2, [bucket(900_000)]: 2 },
          [ERROR_RATE_METRIC]: { n: 2, s: 0 },
        },
      }),
      new Date(T0),
    );
    const latency = metricOf(results, LATENCY_METRIC);
    expect(latency.insufficientData).toMatch(/at least 2/);
    expect(latency.significant).toBe(false);
    expect(latency.pValue).toBe(1);
    expect(evaluatePolicy(experiment, results, new Date(T0 + 3_600_000)).action).toBe(
      DecisionAction.CONTINUE,
    );
  });

  it('waits for the minimum sample before a guardrail rolls back', () => {
    const experiment = testExperiment({ policy: { method: DecisionMethod.FIXED } });
    const results = computeResults(
      experiment,
      aggregatesOf({
        control: { ...units(60), [ERROR_RATE_METRIC]: { n: 60, s: 0 } },
        treatment: { ...units(60), [ERROR_RATE_METRIC]: { n: 60, s: 20 } },
      }),
      new Date(T0),
    );
    expect(metricOf(results, ERROR_RATE_METRIC).significant).toBe(true);
    // 60 per arm is below the default min_sample_size of 100.
    const draft = evaluatePolicy(experiment, results, new Date(T0 + 3_600_000));
    expect(draft.action).not.toBe(DecisionAction.ROLLBACK);
  });

  it('analyses a ratio metric by the delta method on per-unit sums', () => {
    const experiment = testExperiment({
      primaryMetric: { name: 'revenue_per_session', type: MetricType.RATIO },
      policy: { method: DecisionMethod.FIXED },
    });
    const c = { n: 500, sumY: 1500, sumYSquares: 9000, sumX: 1000, sumXSquares: 2600, sumXY: 3400 };
    const t = { n: 520, sumY: 1700, sumYSquares: 9900, sumX: 1040, sumXSquares: 2700, sumXY: 3800 };
    const fields = (s: typeof c) => ({
      n: s.n,
      sum: s.sumY,
      sum2: s.sumYSquares,
      x: s.sumX,
      x2: s.sumXSquares,
      xy: s.sumXY,
    });
    const results = computeResults(
      experiment,
      aggregatesOf({
        control: { ...units(500), revenue_per_session: fields(c) },
        treatment: { ...units(520), revenue_per_session: fields(t) },
      }),
      new Date(T0),
    );
    const expected = estimated(ratioTTest(c, t));
    const ratio = metricOf(results, 'revenue_per_session');
    expect(ratio.mean).toBeCloseTo(1700 / 1040, 12);
    expect(ratio.difference).toBeCloseTo(expected.estimate, 12);
    expect(ratio.differenceCi!.lower).toBeCloseTo(expected.ci[0], 12);
  });
});
