import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { createTimeseries } from './timeseries';
import type { ResultsRange } from './source';

const START = Date.UTC(2026, 0, 1);
const MINUTE = 60_000;

const experiment = create(experimentsV1.ExperimentSchema, {
  id: 'exp-1',
  primaryMetric: { name: 'correct', type: experimentsV1.MetricType.BINARY },
  startTime: timestampFromMs(START),
});

/** Results whose counts grow linearly with the range end: control 1/s, treatment 3/s. */
function fakeResults(end: number): experimentsV1.Results {
  const seconds = Math.floor((end - START) / 1000);
  const variant = (name: string, rate: number, mean: number) => ({
    variant: name,
    requests: BigInt(rate * seconds),
    units: BigInt(rate * seconds),
    metrics: [
      {
        metric: 'correct',
        n: BigInt(rate * seconds),
        mean,
        ci: { lower: mean - 0.01, upper: mean + 0.01 },
      },
    ],
  });
  return create(experimentsV1.ResultsSchema, {
    experimentId: 'exp-1',
    variants: [variant('control', 1, 0.8), variant('treatment', 3, 0.9)],
    shadows: [
      {
        variant: 'shadow',
        comparisons: BigInt(seconds),
        agreementRate: 0.95,
        agreementCi: { lower: 0.9, upper: 0.99 },
      },
    ],
  });
}

/** Counts results calls; an open range (the point at now) is recorded as now. */
function countingSource(clock: () => number) {
  const calls: number[] = [];
  const open: number[] = [];
  return {
    calls,
    open,
    results: async (_e: experimentsV1.Experiment, range?: ResultsRange) => {
      const end = range?.end?.getTime() ?? clock();
      if (range?.end === undefined) open.push(end);
      calls.push(end);
      return fakeResults(end);
    },
  };
}

describe('timeseries', () => {
  it('gives each variant one point per time: split between points and cumulative mean with CI', async () => {
    const source = countingSource(() => START + 60 * MINUTE);
    const builder = createTimeseries(source, { now: () => START + 60 * MINUTE });
    const series = await builder.build(experiment, 13);
    // Every 5 minutes strictly after the start, then now.
    expect(series.stepMs).toBe(5 * MINUTE);
    expect(series.times).toHaveLength(12);
    expect(series.times[0]).toBe(START + 5 * MINUTE);
    expect(series.times[11]).toBe(START + 60 * MINUTE);
    expect(series.variants.map((v) => v.variant)).toEqual(['control', 'treatment']);
    for (const v of series.variants) expect(v.points).toHaveLength(12);
    const treatment = series.variants[1].points;
    expect(treatment.every((p) => p.share !== null && Math.abs(p.share - 0.75) < 1e-9)).toBe(true);
    expect(treatment[5]).toMatchObject({ mean: 0.9, lower: 0.89, upper: 0.91 });
    expect(series.shadows[0].points[3]).toMatchObject({ agreement: 0.95, lower: 0.9, upper: 0.99 });
  });

  it('reuses past points on the next poll and recomputes only the point at now', async () => {
    let now = START + 59 * MINUTE;
    const source = countingSource(() => now);
    const builder = createTimeseries(source, { now: () => now });
    await builder.build(experiment, 13);
    expect(source.calls).toHaveLength(12);
    now += 5000;
    await builder.build(experiment, 13);
    expect(source.calls).toHaveLength(13);
    expect(source.calls[12]).toBe(now);
    // The 11 past points and the point at now.
    expect(builder.cachedPoints()).toBe(12);
  });

  it('shares the point at now between polls within nowTtlMs', async () => {
    let now = START + 59 * MINUTE;
    const source = countingSource(() => now);
    const builder = createTimeseries(source, { now: () => now, nowTtlMs: 1000 });
    await builder.build(experiment, 13);
    now += 999;
    await builder.build(experiment, 13);
    expect(source.calls).toHaveLength(12);
    now += 2;
    await builder.build(experiment, 13);
    expect(source.calls).toHaveLength(13);
  });

  it('recomputes cached points after the TTL, so late outcomes show', async () => {
    let now = START + 59 * MINUTE;
    const source = countingSource(() => now);
    const builder = createTimeseries(source, { now: () => now, cacheTtlMs: 10_000 });
    await builder.build(experiment, 13);
    now += 10_001;
    await builder.build(experiment, 13);
    expect(source.calls).toHaveLength(24);
  });

  it('keeps at most maxCachedPoints, dropping the least recently used', async () => {
    const source = countingSource(() => START + 60 * MINUTE);
    const builder = createTimeseries(source, {
      now: () => START + 60 * MINUTE,
      maxCachedPoints: 5,
    });
    await builder.build(experiment, 13);
    expect(builder.cachedPoints()).toBe(5);
    const other = create(experimentsV1.ExperimentSchema, { ...experiment, id: 'exp-2' });
    await builder.build(other, 13);
    expect(builder.cachedPoints()).toBe(5);
  });

  it('gives a two-minute-old experiment a point every ten seconds although windows are hours', async () => {
    const now = START + 2 * MINUTE;
    const source = countingSource(() => now);
    const builder = createTimeseries(source, { now: () => now, minStepMs: 60 * MINUTE });
    const series = await builder.build(experiment, 48);
    expect(series.stepMs).toBe(10_000);
    expect(series.times).toHaveLength(12);
    expect(series.times.slice(0, -1).every((t) => t % 10_000 === 0)).toBe(true);
    // Now is everything so far: an open range, not a cut inside the current window.
    expect(source.open).toEqual([now]);
    for (const v of series.variants) expect(v.points.every((p) => p.share !== null)).toBe(true);
  });

  it('steps by whole windows once the experiment is older than the fine horizon', async () => {
    const now = START + 3 * 24 * 60 * MINUTE + 17 * MINUTE;
    const builder = createTimeseries(
      countingSource(() => now),
      {
        now: () => now,
        minStepMs: 60 * MINUTE,
        fineHorizonMs: 2 * 60 * MINUTE,
      },
    );
    const series = await builder.build(experiment, 48);
    expect(series.stepMs % (60 * MINUTE)).toBe(0);
    expect(series.times.slice(0, -1).every((t) => t % (60 * MINUTE) === 0)).toBe(true);
    expect(series.times.length).toBeGreaterThanOrEqual(36);
  });

  it('does not cache a failed computation', async () => {
    let fail = true;
    let calls = 0;
    const builder = createTimeseries(
      {
        results: async (_e, range) => {
          calls++;
          if (fail) throw new Error('store unavailable');
          return fakeResults(range?.end?.getTime() ?? START + 60 * MINUTE);
        },
      },
      { now: () => START + 60 * MINUTE },
    );
    await expect(builder.build(experiment, 4)).rejects.toThrow('store unavailable');
    expect(builder.cachedPoints()).toBe(0);
    fail = false;
    const before = calls;
    const series = await builder.build(experiment, 4);
    expect(calls - before).toBe(series.times.length);
    expect(series.times.length).toBeGreaterThan(1);
    expect(series.variants[0].points).toHaveLength(series.times.length);
  });
});
