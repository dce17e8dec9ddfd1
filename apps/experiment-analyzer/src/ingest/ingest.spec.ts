import { create } from '@bufbuild/protobuf';
import { Code, isVerdictError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { createMemoryStore, type Store } from '@verdict/store';
import fc from 'fast-check';
import { field, readAggregates } from '../results/aggregates';
import { T0, exposure, exposures, outcome, outcomes, testExperiment } from './experiment-fixture';
import { createIngest, type IngestDeps } from './ingest';
import type { IngestOptions } from './options';
import { ERROR_RATE_METRIC, FIELD, LATENCY_METRIC, UNITS_METRIC } from './stat-keys';

const HOUR = 3_600_000;
const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];

function setup(
  options: IngestOptions = {},
  experiment = testExperiment(),
  store: Store = createMemoryStore(),
) {
  let now = T0;
  const ingest = createIngest({
    store,
    experiment: (id) => (id === experiment.id ? experiment : undefined),
    now: () => new Date(now),
    logger,
    options,
  });
  return {
    store,
    ingest,
    advance: (ms: number) => (now += ms),
    totals: async () =>
      (
        await readAggregates(
          store,
          experiment.id,
          { windowMs: HOUR, rollupMs: 24 * HOUR },
          -8.64e15,
          8.64e15,
        )
      ).totals,
  };
}

describe('ingest: exposures', () => {
  it('counts a replayed batch once and reports the replay as duplicates', async () => {
    const { ingest, totals } = setup();
    const batch = exposures([
      exposure('e1', 'control', 'u1', { status: 0, latencyUs: 800 }),
      exposure('e2', 'treatment', 'u2', { status: 14, latencyUs: 1200 }),
      exposure('e3', 'treatment', 'u3'),
    ]);
    const first = await ingest.recordExposures(batch);
    const replay = await ingest.recordExposures(batch);
    expect([first.acceptedCount, first.duplicateCount]).toEqual([3n, 0n]);
    expect([replay.acceptedCount, replay.duplicateCount]).toEqual([0n, 3n]);
    const stats = await totals();
    expect(field(stats, 'control', ERROR_RATE_METRIC, FIELD.n)).toBe(1);
    expect(field(stats, 'treatment', ERROR_RATE_METRIC, FIELD.n)).toBe(2);
    expect(field(stats, 'treatment', ERROR_RATE_METRIC, FIELD.successes)).toBe(1);
    expect(field(stats, 'treatment', LATENCY_METRIC, FIELD.sum)).toBe(2200);
    expect(field(stats, 'control', UNITS_METRIC, FIELD.n)).toBe(1);
    expect(field(stats, 'treatment', UNITS_METRIC, FIELD.n)).toBe(2);
    // Three first exposures, each adding the configured 50/50 shares.
    expect(field(stats, 'control', UNITS_METRIC, FIELD.expected)).toBeCloseTo(1.5, 12);
    expect(field(stats, 'treatment', UNITS_METRIC, FIELD.expected)).toBeCloseTo(1.5, 12);
    await ingest.close();
  });

  it('recognises replays only within the bounded dedup window', async () => {
    const { ingest } = setup({ dedupCapacity: 4 });
    const events = Array.from({ length: 10 }, (_, i) => exposure(`e${i}`, 'control', `u${i}`));
    await ingest.recordExposures(exposures(events));
    const recent = await ingest.recordExposures(exposures([events[9], events[8]]));
    expect(recent.duplicateCount).toBe(2n);
    // e0 was seen 10 ids ago, beyond the window of 2 to 4 ids: counted again (documented).
    const old = await ingest.recordExposures(exposures([events[0]]));
    expect([old.acceptedCount, old.duplicateCount]).toEqual([1n, 0n]);
    await ingest.close();
  });

  it('counts a unit once however many requests it makes, and duplicates inside one batch once', async () => {
    const { ingest, totals } = setup();
    const response = await ingest.recordExposures(
      exposures([
        exposure('a', 'control', 'u1'),
        exposure('b', 'control', 'u1'),
        exposure('b', 'control', 'u1'),
      ]),
    );
    expect([response.acceptedCount, response.duplicateCount]).toEqual([2n, 1n]);
    const stats = await totals();
    expect(field(stats, 'control', ERROR_RATE_METRIC, FIELD.n)).toBe(2);
    expect(field(stats, 'control', UNITS_METRIC, FIELD.n)).toBe(1);
    await ingest.close();
  });

  it('skips events of unknown experiments or variants without counting them', async () => {
    const { ingest, totals } = setup();
    const response = await ingest.recordExposures(
      exposures([
        exposure('x1', 'control', 'u1', { experiment: 'nope' }),
        exposure('x2', 'ghost', 'u1'),
        exposure('x3', 'control', 'u1'),
      ]),
    );
    expect([response.acceptedCount, response.duplicateCount]).toEqual([1n, 0n]);
    expect(ingest.stats().ignoredExposures).toBe(2);
    expect(field(await totals(), 'control', ERROR_RATE_METRIC, FIELD.n)).toBe(1);
    await ingest.close();
  });

  it('writes one batch of Store calls per RPC, not one per event', async () => {
    const store = createMemoryStore();
    const calls = { increments: 0 };
    const counting: Store = Object.assign(Object.create(store) as Store, {
      incrementBy: (k: string, d: number) => (calls.increments++, store.incrementBy(k, d)),
      incrementFloat: (k: string, d: number) => (calls.increments++, store.incrementFloat(k, d)),
    });
    const { ingest } = setup({}, testExperiment(), counting);
    const events = Array.from({ length: 1000 }, (_, i) =>
      exposure(`e${i}`, i % 2 === 0 ? 'control' : 'treatment', `u${i % 10}`, { latencyUs: 1000 }),
    );
    await ingest.recordExposures(exposures(events));
    // Per variant: error_rate n (no errors), latency n/sum/sum2/one bucket, units n/expected;
    // each at the window, the rollup and (the experiment started at T0) the fine level.
    expect(calls.increments).toBe(2 * 7 * 3);
    await ingest.close();
  });
});

describe('ingest: outcomes and attribution', () => {
  it('attributes an outcome hours later to the variant its unit or request was exposed to', async () => {
    const { ingest, totals, advance } = setup();
    await ingest.recordExposures(
      exposures([
        exposure('e1', 'control', 'u1', { request: 'r1' }),
        exposure('e2', 'treatment', 'u2', { request: 'r2' }),
      ]),
    );
    advance(5 * HOUR);
    const later = T0 + 5 * HOUR;
    const response = await ingest.recordOutcomes(
      outcomes([
        outcome('o1', 'u1', 'click', 1, { timeMs: later }),
        outcome('o2', 'r2', 'click', 0, { byRequest: true, timeMs: later }),
        outcome('o3', 'u2', 'revenue', 12.5, { timeMs: later }),
        outcome('o4', 'never-seen', 'click', 1, { timeMs: later }),
      ]),
    );
    expect(response.acceptedCount).toBe(3n);
    expect(response.unattributedCount).toBe(1n);
    const stats = await totals();
    expect(field(stats, 'control', 'click', FIELD.n)).toBe(1);
    expect(field(stats, 'control', 'click', FIELD.sum)).toBe(1);
    expect(field(stats, 'treatment', 'click', FIELD.n)).toBe(1);
    expect(field(stats, 'treatment', 'click', FIELD.sum)).toBe(0);
    expect(field(stats, 'treatment', 'revenue', FIELD.sumSquares)).toBeCloseTo(156.25, 10);
    const replay = await ingest.recordOutcomes(
      outcomes([outcome('o1', 'u1', 'click', 1, { timeMs: later })]),
    );
    expect([replay.acceptedCount, replay.duplicateCount]).toEqual([0n, 1n]);
    await ingest.close();
  });

  it('leaves outcomes unattributed once their unit has fallen out of the bounded index', async () => {
    const { ingest } = setup({ unitIndexCapacity: 4, requestIndexCapacity: 4 });
    await ingest.recordExposures(
      exposures(Array.from({ length: 10 }, (_, i) => exposure(`e${i}`, 'control', `u${i}`))),
    );
    const response = await ingest.recordOutcomes(
      outcomes([
        outcome('old-unit', 'u0', 'click', 1),
        outcome('old-request', 'req-e0', 'click', 1, { byRequest: true }),
        outcome('recent-unit', 'u9', 'click', 1),
        outcome('recent-request', 'req-e9', 'click', 1, { byRequest: true }),
      ]),
    );
    expect([response.acceptedCount, response.unattributedCount]).toEqual([2n, 2n]);
    expect(ingest.stats().unitsEvicted).toBeGreaterThanOrEqual(6);
    expect(ingest.stats().unitsIndexed).toBeLessThanOrEqual(4);
    // Unattributed outcomes are not remembered as seen: once exposed, a retry counts.
    await ingest.recordExposures(exposures([exposure('again', 'treatment', 'u0')]));
    const retry = await ingest.recordOutcomes(outcomes([outcome('old-unit', 'u0', 'click', 1)]));
    expect(retry.acceptedCount).toBe(1n);
    await ingest.close();
  });

  it('attributes an outcome by request id to every experiment (layer) the request was in', async () => {
    const first = testExperiment({ id: 'exp-1' });
    const second = testExperiment({ id: 'exp-2' });
    const store = createMemoryStore();
    const ingest = createIngest({
      store,
      experiment: (id) => [first, second].find((e) => e.id === id),
      now: () => new Date(T0),
      logger,
    });
    await ingest.recordExposures(
      exposures([
        exposure('a', 'control', 'u1', { request: 'r1', experiment: 'exp-1' }),
        exposure('b', 'treatment', 'u1', { request: 'r1', experiment: 'exp-2' }),
        // The same request and experiment again: the latest assignment wins, still one entry.
        exposure('c', 'treatment', 'u1', { request: 'r1', experiment: 'exp-2' }),
      ]),
    );
    const response = await ingest.recordOutcomes(
      outcomes([outcome('o', 'r1', 'click', 1, { byRequest: true })]),
    );
    expect(response.acceptedCount).toBe(1n);
    const all = { windowMs: HOUR, rollupMs: 24 * HOUR };
    const one = await readAggregates(store, 'exp-1', all, -8.64e15, 8.64e15);
    const two = await readAggregates(store, 'exp-2', all, -8.64e15, 8.64e15);
    expect(field(one.totals, 'control', 'click', FIELD.n)).toBe(1);
    expect(field(two.totals, 'treatment', 'click', FIELD.n)).toBe(1);
    await ingest.close();
  });

  it('does not attribute outcomes observed after the attribution window', async () => {
    const { ingest, advance } = setup({ attributionWindowMs: 2 * HOUR });
    await ingest.recordExposures(exposures([exposure('e1', 'control', 'u1')]));
    advance(3 * HOUR);
    const response = await ingest.recordOutcomes(
      outcomes([
        outcome('in', 'u1', 'click', 1, { timeMs: T0 + HOUR }),
        outcome('out', 'u1', 'click', 1, { timeMs: T0 + 3 * HOUR }),
      ]),
    );
    expect([response.acceptedCount, response.unattributedCount]).toEqual([1n, 1n]);
    await ingest.close();
  });

  it('pairs outcomes with the unit covariate for CUPED, with x = 0 where none was reported', async () => {
    const experiment = testExperiment({
      secondaryMetrics: [
        { name: 'revenue', type: experimentsV1.MetricType.CONTINUOUS, covariate: 'revenue_pre' },
      ],
    });
    const { ingest, totals } = setup({}, experiment);
    // Pre-period value reported before the unit is exposed, naming the experiment.
    const pre = await ingest.recordOutcomes(
      outcomes([outcome('p1', 'u1', 'revenue_pre', 4, { experiment: 'exp-1' })]),
    );
    expect(pre.acceptedCount).toBe(1n);
    await ingest.recordExposures(
      exposures([exposure('e1', 'control', 'u1'), exposure('e2', 'control', 'u2')]),
    );
    await ingest.recordOutcomes(
      outcomes([outcome('y1', 'u1', 'revenue', 10), outcome('y2', 'u2', 'revenue', 3)]),
    );
    const stats = await totals();
    const cupedMetric = '_cuped:revenue';
    expect(field(stats, 'control', cupedMetric, FIELD.n)).toBe(2);
    expect(field(stats, 'control', cupedMetric, FIELD.sumX)).toBe(4);
    expect(field(stats, 'control', cupedMetric, FIELD.sumXY)).toBe(40);
    expect(field(stats, 'control', cupedMetric, FIELD.sum)).toBe(13);
    await ingest.close();
  });

  it('rejects a non-binary value for a binary metric and changes nothing', async () => {
    const { ingest, totals } = setup();
    await ingest.recordExposures(exposures([exposure('e1', 'control', 'u1')]));
    const before = await totals();
    await expect(
      ingest.recordOutcomes(
        outcomes([outcome('ok', 'u1', 'click', 1), outcome('bad', 'u1', 'click', 0.5)]),
      ),
    ).rejects.toMatchObject({ code: Code.INVALID_ARGUMENT, field: 'outcomes[1].value' });
    expect(await totals()).toEqual(before);
    await ingest.close();
  });
});

describe('ingest: validation', () => {
  const corruptions: Array<[string, (e: experimentsV1.ExposureEvent) => void]> = [
    ['event_id', (e) => (e.eventId = '')],
    ['experiment_id', (e) => (e.experimentId = '')],
    ['variant', (e) => (e.variant = '')],
    ['unit_id', (e) => (e.unitId = '')],
    ['unit_id', (e) => (e.unitId = 'u'.repeat(513))],
    ['time', (e) => (e.time = { $typeName: 'google.protobuf.Timestamp', seconds: 1n, nanos: 2e9 })],
  ];

  it('fails a batch with one bad exposure with INVALID_ARGUMENT naming the field, and counts nothing', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 20 }),
        fc.nat(),
        fc.integer({ min: 0, max: corruptions.length - 1 }),
        async (size, position, which) => {
          const { ingest, store, totals } = setup();
          const events = Array.from({ length: size }, (_, i) =>
            exposure(`e${i}`, 'control', `u${i}`),
          );
          const bad = position % size;
          const [name, corrupt] = corruptions[which];
          corrupt(events[bad]);
          const error = await ingest.recordExposures(exposures(events)).then(
            () => undefined,
            (e: unknown) => e,
          );
          expect(isVerdictError(error) && error.code).toBe(Code.INVALID_ARGUMENT);
          expect((error as { field: string }).field).toBe(`events[${bad}].${name}`);
          expect((await totals()).size).toBe(0);
          // Nothing remembered either: the corrected batch is accepted in full.
          const fixed = Array.from({ length: size }, (_, i) =>
            exposure(`e${i}`, 'control', `u${i}`),
          );
          const ok = await ingest.recordExposures(exposures(fixed));
          expect(ok.acceptedCount).toBe(BigInt(size));
          await ingest.close();
          await store.close();
        },
      ),
      { numRuns: 40 },
    );
  });

  it('fails a batch of outcomes or shadow comparisons with one bad field, counting nothing', async () => {
    const outcomeCorruptions: Array<[string, (o: experimentsV1.Outcome) => void]> = [
      ['event_id', (o) => (o.eventId = '')],
      ['metric', (o) => (o.metric = 'latency')],
      ['metric', (o) => (o.metric = '_units')],
      ['value', (o) => (o.value = Number.POSITIVE_INFINITY)],
      ['unit_id', (o) => (o.subject = { case: 'unitId', value: '' })],
      ['experiment_id', (o) => (o.experimentId = 'x'.repeat(600))],
    ];
    const shadowCorruptions: Array<[string, (c: experimentsV1.ShadowComparison) => void]> = [
      ['event_id', (c) => (c.eventId = '')],
      ['shadow_variant', (c) => (c.shadowVariant = '')],
      ['max_abs_diff', (c) => (c.maxAbsDiff = -1)],
      ['mean_abs_diff', (c) => (c.meanAbsDiff = Number.NaN)],
    ];
    const shadowExperiment = testExperiment({
      variants: [
        { name: 'control', weight: 1, role: experimentsV1.VariantRole.CONTROL },
        { name: 'shadow', role: experimentsV1.VariantRole.SHADOW, shadowSampleRate: 1 },
      ],
    });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 12 }),
        fc.nat(),
        fc.nat(),
        async (size, position, which) => {
          const { ingest, store, totals } = setup({}, shadowExperiment);
          await ingest.recordExposures(
            exposures(
              Array.from({ length: size }, (_, i) => exposure(`e${i}`, 'control', `u${i}`)),
            ),
          );
          const before = await totals();
          const bad = position % size;
          const list = Array.from({ length: size }, (_, i) =>
            outcome(`o${i}`, `u${i}`, 'click', 1),
          );
          const [name, corrupt] = outcomeCorruptions[which % outcomeCorruptions.length];
          corrupt(list[bad]);
          await expect(ingest.recordOutcomes(outcomes(list))).rejects.toMatchObject({
            code: Code.INVALID_ARGUMENT,
            field: `outcomes[${bad}].${name}`,
          });
          const comparisons = Array.from({ length: size }, (_, i) =>
            create(experimentsV1.ShadowComparisonSchema, {
              eventId: `s${i}`,
              experimentId: 'exp-1',
              primaryVariant: 'control',
              shadowVariant: 'shadow',
              outputsAgree: true,
            }),
          );
          const [shadowName, corruptShadow] = shadowCorruptions[which % shadowCorruptions.length];
          corruptShadow(comparisons[bad]);
          await expect(
            ingest.recordShadowComparisons(
              create(experimentsV1.RecordShadowComparisonsRequestSchema, { comparisons }),
            ),
          ).rejects.toMatchObject({
            code: Code.INVALID_ARGUMENT,
            field: `comparisons[${bad}].${shadowName}`,
          });
          expect(await totals()).toEqual(before);
          await ingest.close();
          await store.close();
        },
      ),
      { numRuns: 30 },
    );
  });

  it('names bad outcome fields', async () => {
    const { ingest } = setup();
    const cases: Array<[experimentsV1.Outcome, string]> = [
      [outcome('', 'u', 'click', 1), 'outcomes[0].event_id'],
      [outcome('o', 'u', '', 1), 'outcomes[0].metric'],
      [outcome('o', 'u', 'error_rate', 1), 'outcomes[0].metric'],
      [outcome('o', 'u', 'click', Number.NaN), 'outcomes[0].value'],
      [
        create(experimentsV1.OutcomeSchema, { eventId: 'o', metric: 'click' }),
        'outcomes[0].subject',
      ],
    ];
    for (const [bad, name] of cases) {
      await expect(ingest.recordOutcomes(outcomes([bad]))).rejects.toMatchObject({
        code: Code.INVALID_ARGUMENT,
        field: name,
      });
    }
    await ingest.close();
  });
});

describe('ingest: flush failures', () => {
  it('answers UNAVAILABLE when the Store fails, keeps the increments and writes them on the next flush', async () => {
    const store = createMemoryStore();
    let failures = 1;
    const flaky: Store = Object.assign(Object.create(store) as Store, {
      incrementBy: (k: string, d: number) =>
        failures-- > 0 ? Promise.reject(new Error('store down')) : store.incrementBy(k, d),
    });
    const { ingest, totals } = setup({}, testExperiment(), flaky);
    const batch = exposures([exposure('e1', 'control', 'u1'), exposure('e2', 'control', 'u2')]);
    await expect(ingest.recordExposures(batch)).rejects.toMatchObject({ code: Code.UNAVAILABLE });
    // The router retries: the ids are known, so nothing is double counted.
    const retry = await ingest.recordExposures(batch);
    expect(retry.duplicateCount).toBe(2n);
    await ingest.flush();
    const stats = await totals();
    expect(field(stats, 'control', ERROR_RATE_METRIC, FIELD.n)).toBe(2);
    expect(field(stats, 'control', UNITS_METRIC, FIELD.n)).toBe(2);
    await ingest.close();
  });
});
