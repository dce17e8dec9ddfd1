/**
 * The same ingest -> results run against every Store backend: the embedded memory store, the
 * embedded store with its file (reopened, as after a crash), and a real redis-server shared by
 * two analyzer replicas.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { experimentsV1 } from '@verdict/proto';
import {
  createMemoryStore,
  openStore,
  openMemoryStore,
  startRedisServer,
  type RedisServer,
  type Store,
} from '@verdict/store';
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

function ingestOn(store: Store) {
  return createIngest({ store, experiment: () => experiment, now: () => new Date(T0), logger });
}

/** Half of the traffic through `first`, half through `second` (the same ingest or two replicas). */
async function run(first: ReturnType<typeof ingestOn>, second: ReturnType<typeof ingestOn>) {
  for (let part = 0; part < 2; part++) {
    const ingest = part === 0 ? first : second;
    const offset = part * 500;
    const units = Array.from({ length: 500 }, (_, i) => i + offset);
    await ingest.recordExposures(
      exposures(
        units.map((u) =>
          exposure(`e${u}`, u % 2 === 0 ? 'control' : 'treatment', `u${u}`, {
            status: u % 2 === 1 && u % 20 === 1 ? 14 : 0,
            latencyUs: 500 + (u % 97) * 13,
          }),
        ),
      ),
    );
    await ingest.recordOutcomes(
      outcomes(
        units.flatMap((u) => [
          outcome(`c${u}`, `u${u}`, 'click', u % 7 === 0 ? 1 : 0),
          outcome(`r${u}`, `u${u}`, 'revenue', (u % 13) * 1.25),
        ]),
      ),
    );
  }
}

/** Results of the reference run on a plain memory store. */
async function reference(): Promise<experimentsV1.Results> {
  const store = createMemoryStore();
  const ingest = ingestOn(store);
  await run(ingest, ingest);
  await ingest.close();
  return createResultsReader(store, { now: () => new Date(T0) }).results(experiment);
}

/** Float sums may round differently per backend in the last bits (Store contract). */
function expectSameResults(actual: experimentsV1.Results, expected: experimentsV1.Results) {
  expect(actual.variants.map((v) => [v.variant, v.units, v.requests])).toEqual(
    expected.variants.map((v) => [v.variant, v.units, v.requests]),
  );
  expected.variants.forEach((variant, i) => {
    variant.metrics.forEach((m, j) => {
      const a = actual.variants[i].metrics[j];
      expect([a.metric, a.n, a.significant]).toEqual([m.metric, m.n, m.significant]);
      for (const key of ['mean', 'difference', 'lift', 'pValue'] as const) {
        expect(a[key]).toBeCloseTo(m[key], 9);
      }
      expect(a.differenceCi?.lower).toBeCloseTo(m.differenceCi!.lower, 9);
    });
  });
  expect(actual.srm?.chiSquare).toBeCloseTo(expected.srm!.chiSquare, 9);
}

describe('ingest and results on every Store backend', () => {
  let expected: experimentsV1.Results;
  beforeAll(async () => {
    expected = await reference();
    // The scenario is not trivial: the error guardrail and the revenue metric carry data.
    const treatment = expected.variants[1];
    expect(treatment.metrics.find((m) => m.metric === 'error_rate')?.mean).toBeGreaterThan(0);
    expect(treatment.metrics.find((m) => m.metric === 'revenue')?.n).toBe(500n);
  });

  describe('embedded store with its file', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'analyzer-store-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('keeps every acknowledged event across a reopen, without a final flush', async () => {
      const file = join(dir, 'store.log');
      const store = await openMemoryStore({ file });
      const ingest = ingestOn(store);
      await run(ingest, ingest);
      // No ingest.flush()/close(): acknowledged means already written.
      await store.close();
      const reopened = await openMemoryStore({ file });
      const results = await createResultsReader(reopened, { now: () => new Date(T0) }).results(
        experiment,
      );
      expectSameResults(results, expected);
      await reopened.close();
    });
  });

  describe('redis-server shared by two analyzer replicas', () => {
    let server: RedisServer;
    const stores: Store[] = [];
    beforeAll(async () => {
      server = await startRedisServer();
    });
    afterAll(async () => {
      await Promise.all(stores.map((s) => s.close()));
      await server.stop();
    });

    it('adds up what both replicas ingested', async () => {
      const a = await openStore({ backend: 'redis', url: server.url, keyPrefix: 'replicas:' });
      const b = await openStore({ backend: 'redis', url: server.url, keyPrefix: 'replicas:' });
      stores.push(a, b);
      const first = ingestOn(a);
      const second = ingestOn(b);
      await run(first, second);
      await Promise.all([first.close(), second.close()]);
      const results = await createResultsReader(a, { now: () => new Date(T0) }).results(experiment);
      expectSameResults(results, expected);
    });
  });
});
