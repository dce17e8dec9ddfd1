/**
 * The fine level: during an experiment's first `fineHorizonMs`, results up to a time inside an
 * hour window count the events before that time (to the fine window), not the whole hour; past
 * the horizon they count whole windows, as before.
 */
import { createMemoryStore } from '@verdict/store';
import fc from 'fast-check';
import { T0, exposure, exposures, testExperiment } from '../ingest/experiment-fixture';
import { createIngest, type IngestDeps } from '../ingest';
import { createResultsReader } from './results-reader';

const SECOND = 1000;
const HOUR = 3_600_000;
const FINE = 10 * SECOND;
const HORIZON = 2 * HOUR;
const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];

async function recorded(timesMs: readonly number[]) {
  const experiment = testExperiment();
  const store = createMemoryStore();
  const ingest = createIngest({
    store,
    experiment: (id) => (id === experiment.id ? experiment : undefined),
    now: () => new Date(T0 + 10 * HOUR),
    logger,
    options: { fineWindowMs: FINE, fineHorizonMs: HORIZON },
  });
  await ingest.recordExposures(
    exposures(timesMs.map((t, i) => exposure(`e${i}`, 'control', `u${i}`, { timeMs: t }))),
  );
  await ingest.close();
  const reader = createResultsReader(store, { fineWindowMs: FINE, fineHorizonMs: HORIZON });
  return async (endMs: number) => {
    const results = await reader.results(experiment, { end: new Date(endMs) });
    return Number(results.variants.find((v) => v.variant === 'control')?.requests ?? 0n);
  };
}

describe('results over the fine level', () => {
  it('counts, up to a time inside the horizon, the events of the fine windows before it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.integer({ min: 0, max: HORIZON - 1 }), { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: HORIZON }),
        async (offsets, endOffset) => {
          const times = offsets.map((o) => T0 + o);
          const requestsUpTo = await recorded(times);
          const end = T0 + endOffset;
          // Windows overlapping [.., end): an event counts when its fine window starts before end.
          const expected = times.filter((t) => t - (t % FINE) < end).length;
          expect(await requestsUpTo(end)).toBe(expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it('counts whole hour windows past the horizon', async () => {
    const requestsUpTo = await recorded([T0 + 3 * HOUR + 5 * SECOND, T0 + 3 * HOUR + 50 * 60_000]);
    expect(await requestsUpTo(T0 + 3 * HOUR + 10 * 60_000)).toBe(2);
    expect(await requestsUpTo(T0 + 3 * HOUR)).toBe(0);
  });

  it('refuses a fine window that does not divide the window', () => {
    expect(() =>
      createIngest({
        store: createMemoryStore(),
        experiment: () => undefined,
        now: () => new Date(T0),
        logger,
        options: { fineWindowMs: 7 * SECOND },
      }),
    ).toThrow('options.fineWindowMs');
  });
});
