/** Ratio metrics from outcomes through a real ingest and the results reader. */
import { experimentsV1 } from '@verdict/proto';
import { createMemoryStore } from '@verdict/store';
import { estimated, ratioTTest, type RatioSummary } from '@verdict/stats';
import { createResultsReader } from '../results/results-reader';
import { T0, exposure, exposures, outcome, outcomes, testExperiment } from './experiment-fixture';
import { createIngest, type IngestDeps } from './ingest';

const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];

/** Per-unit revenue and sessions: unit i has 1 + i % 3 sessions and revenue (i % 7) per session. */
function unitsOf(variant: string, count: number, extra: number) {
  return Array.from({ length: count }, (_, i) => ({
    unit: `${variant}-${i}`,
    sessions: 1 + (i % 3),
    revenue: (i % 7) + extra,
  }));
}

function sums(units: ReturnType<typeof unitsOf>): RatioSummary {
  const ys = units.map((u) => u.revenue * u.sessions);
  const xs = units.map((u) => u.sessions);
  return {
    n: units.length,
    sumY: ys.reduce((a, b) => a + b, 0),
    sumYSquares: ys.reduce((a, b) => a + b * b, 0),
    sumX: xs.reduce((a, b) => a + b, 0),
    sumXSquares: xs.reduce((a, b) => a + b * b, 0),
    sumXY: ys.reduce((a, y, i) => a + y * xs[i], 0),
  };
}

describe('ratio metrics through ingest', () => {
  it('keeps per-unit numerator and denominator sums, one outcome per session', async () => {
    const experiment = testExperiment({
      primaryMetric: {
        name: 'revenue_per_session',
        type: experimentsV1.MetricType.RATIO,
        numerator: 'revenue',
        denominator: 'session',
      },
      policy: { method: experimentsV1.DecisionMethod.FIXED },
    });
    const store = createMemoryStore();
    const ingest = createIngest({
      store,
      experiment: () => experiment,
      now: () => new Date(T0),
      logger,
    });
    const arms = { control: unitsOf('control', 60, 0), treatment: unitsOf('treatment', 70, 1) };
    for (const [variant, units] of Object.entries(arms)) {
      await ingest.recordExposures(
        exposures(units.map((u) => exposure(`e-${u.unit}`, variant, u.unit))),
      );
      // Each session reports its revenue and a session count of 1, interleaved.
      const events = units.flatMap((u) =>
        Array.from({ length: u.sessions }, (_, s) => [
          outcome(`r-${u.unit}-${s}`, u.unit, 'revenue', u.revenue),
          outcome(`s-${u.unit}-${s}`, u.unit, 'session', 1),
        ]).flat(),
      );
      await ingest.recordOutcomes(outcomes(events));
    }
    await ingest.close();
    const results = await createResultsReader(store, { now: () => new Date(T0) }).results(
      experiment,
    );
    const expected = estimated(ratioTTest(sums(arms.control), sums(arms.treatment)));
    const treatment = results.variants[1].metrics.find((m) => m.metric === 'revenue_per_session')!;
    expect(treatment.n).toBe(70n);
    expect(treatment.difference).toBeCloseTo(expected.estimate, 9);
    expect(treatment.differenceCi!.lower).toBeCloseTo(expected.ci[0], 9);
    expect(treatment.differenceCi!.upper).toBeCloseTo(expected.ci[1], 9);
  });
});
