import { experimentsV1 } from '@verdict/proto';
import { createMemoryStore } from '@verdict/store';
import fc from 'fast-check';
import {
  T0,
  exposure,
  exposures,
  outcome,
  outcomes,
  testExperiment,
} from '../ingest/experiment-fixture';
import { createIngest, type IngestDeps } from '../ingest/ingest';
import { createResultsReader } from './results-reader';

const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];
const experiment = testExperiment({
  secondaryMetrics: [{ name: 'revenue', type: experimentsV1.MetricType.CONTINUOUS }],
  policy: { alpha: 0.05, method: experimentsV1.DecisionMethod.FIXED },
});

interface Event {
  unit: number;
  latencyUs: number;
  failed: boolean;
  hour: number;
  click: boolean;
  revenue: number;
}

const eventArb = fc.record({
  unit: fc.integer({ min: 0, max: 30 }),
  latencyUs: fc.integer({ min: 1, max: 100_000 }),
  failed: fc.boolean(),
  hour: fc.integer({ min: 0, max: 50 }),
  click: fc.boolean(),
  revenue: fc.integer({ min: 0, max: 1000 }).map((c) => c / 8),
});

/** Ingests the events in batches of the given sizes (cycled), with one replay of each batch. */
async function resultsOf(events: Event[], sizes: number[]) {
  const store = createMemoryStore();
  const ingest = createIngest({
    store,
    experiment: () => experiment,
    now: () => new Date(T0 + 60 * 3_600_000),
    logger,
  });
  let start = 0;
  for (let b = 0; start < events.length; b++) {
    const size = sizes[b % sizes.length];
    const slice = events.slice(start, start + size).map((e, k) => ({ e, i: start + k }));
    const variant = (e: Event) => (e.unit % 2 === 0 ? 'control' : 'treatment');
    const request = exposures(
      slice.map(({ e, i }) =>
        exposure(`e${i}`, variant(e), `u${e.unit}`, {
          latencyUs: e.latencyUs,
          status: e.failed ? 14 : 0,
          timeMs: T0 + e.hour * 3_600_000,
        }),
      ),
    );
    await ingest.recordExposures(request);
    await ingest.recordExposures(request);
    await ingest.recordOutcomes(
      outcomes(
        slice.flatMap(({ e, i }) => [
          outcome(`c${i}`, `u${e.unit}`, 'click', e.click ? 1 : 0),
          outcome(`r${i}`, `u${e.unit}`, 'revenue', e.revenue),
        ]),
      ),
    );
    start += size;
  }
  await ingest.close();
  return createResultsReader(store).results(experiment);
}

describe('results do not depend on how events were batched or replayed', () => {
  it('gives the same statistics for any batching of the same events', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(eventArb, { minLength: 1, maxLength: 80 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 5 }),
        async (events, sizes) => {
          const whole = await resultsOf(events, [events.length]);
          const split = await resultsOf(events, sizes);
          const view = (r: experimentsV1.Results) =>
            r.variants.map((v) => ({
              units: v.units,
              requests: v.requests,
              metrics: v.metrics.map((m) => [m.metric, m.n, m.mean, m.ci?.lower, m.ci?.upper]),
            }));
          const a = view(whole);
          const b = view(split);
          expect(b.map((v) => [v.units, v.requests])).toEqual(a.map((v) => [v.units, v.requests]));
          b.forEach((v, i) =>
            v.metrics.forEach((m, j) => {
              expect(m[0]).toBe(a[i].metrics[j][0]);
              expect(m[1]).toBe(a[i].metrics[j][1]);
              for (let k = 2; k < 5; k++) {
                expect(m[k] as number).toBeCloseTo(a[i].metrics[j][k] as number, 6);
              }
            }),
          );
          expect(split.srm?.chiSquare).toBeCloseTo(whole.srm!.chiSquare, 6);
        },
      ),
      { numRuns: 25 },
    );
  });
});
