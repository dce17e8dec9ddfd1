import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import {
  betaBinomialComparison,
  cuped,
  histogramPercentileInterval,
  holm,
  sampleRatioMismatch,
  sequentialProportionTest,
  twoProportionZTest,
  welchTTest,
  estimated,
  sequentialSampleRatioMismatch,
} from '@verdict/stats';
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
import { bucketOf, BUCKET_COUNT } from '../ingest/latency-buckets';
import { LATENCY_BOUNDS } from './compare';
import { createResultsReader } from './results-reader';

const HOUR = 3_600_000;
const logger = { warn: jest.fn(), error: jest.fn() } as unknown as IngestDeps['logger'];
const { DecisionMethod, MetricType } = experimentsV1;

interface Arm {
  units: number;
  errors: number;
  clicks: number;
  latency: (i: number) => number;
  revenue?: (i: number) => number;
  covariate?: (i: number) => number;
}

/** Feeds one exposure per unit, and click (and revenue) outcomes, through a real ingest. */
async function feed(experiment: experimentsV1.Experiment, arms: Record<string, Arm>, timeMs = T0) {
  const store = createMemoryStore();
  const ingest = createIngest({
    store,
    experiment: () => experiment,
    now: () => new Date(timeMs + HOUR),
    logger,
  });
  for (const [variant, arm] of Object.entries(arms)) {
    const unit = (i: number) => `${variant}-${i}`;
    await ingest.recordExposures(
      exposures(
        Array.from({ length: arm.units }, (_, i) =>
          exposure(`${variant}-${i}`, variant, unit(i), {
            latencyUs: arm.latency(i),
            status: i < arm.errors ? 14 : 0,
            timeMs,
          }),
        ),
      ),
    );
    if (arm.covariate !== undefined) {
      const x = arm.covariate;
      await ingest.recordOutcomes(
        outcomes(
          Array.from({ length: arm.units }, (_, i) =>
            outcome(`x-${unit(i)}`, unit(i), 'revenue_pre', x(i), { timeMs }),
          ),
        ),
      );
    }
    await ingest.recordOutcomes(
      outcomes(
        Array.from({ length: arm.units }, (_, i) =>
          outcome(`c-${unit(i)}`, unit(i), 'click', i < arm.clicks ? 1 : 0, { timeMs }),
        ),
      ),
    );
    if (arm.revenue !== undefined) {
      const r = arm.revenue;
      await ingest.recordOutcomes(
        outcomes(
          Array.from({ length: arm.units }, (_, i) =>
            outcome(`r-${unit(i)}`, unit(i), 'revenue', r(i), { timeMs }),
          ),
        ),
      );
    }
  }
  await ingest.close();
  return store;
}

function metric(results: experimentsV1.Results, variant: string, name: string) {
  const m = results.variants
    .find((v) => v.variant === variant)
    ?.metrics.find((x) => x.metric === name);
  if (m === undefined) throw new Error(`no ${name} for ${variant}`);
  return m;
}

const arms = {
  control: { units: 2000, errors: 10, clicks: 200, latency: () => 1000 },
  treatment: { units: 2000, errors: 50, clicks: 260, latency: () => 2000 },
};

describe('results from stored sufficient statistics', () => {
  it('matches z-tests, Holm and the SRM check computed by hand (fixed method)', async () => {
    const experiment = testExperiment({
      policy: { alpha: 0.05, method: DecisionMethod.FIXED, srmAlpha: 0.001 },
    });
    const store = await feed(experiment, arms);
    const results = await createResultsReader(store).results(experiment);

    expect(results.variants.map((v) => v.variant)).toEqual(['control', 'treatment']);
    expect(results.variants.map((v) => [v.units, v.requests])).toEqual([
      [2000n, 2000n],
      [2000n, 2000n],
    ]);
    const c = { n: 2000, successes: 200 };
    const t = { n: 2000, successes: 260 };
    const abs = estimated(twoProportionZTest(c, t, { alpha: 0.05 }));
    const rel = estimated(twoProportionZTest(c, t, { alpha: 0.05, relative: true }));
    const click = metric(results, 'treatment', 'click');
    expect(click.n).toBe(2000n);
    expect(click.mean).toBeCloseTo(0.13, 12);
    expect(click.difference).toBeCloseTo(abs.estimate, 12);
    expect(click.differenceCi?.lower).toBeCloseTo(abs.ci[0], 12);
    expect(click.differenceCi?.upper).toBeCloseTo(abs.ci[1], 12);
    expect(click.lift).toBeCloseTo(rel.estimate, 12);
    expect(click.liftCi?.lower).toBeCloseTo(rel.ci[0], 12);

    const errors = estimated(
      twoProportionZTest({ n: 2000, successes: 10 }, { n: 2000, successes: 50 }, { alpha: 0.05 }),
    );
    // Latency: every control request at 1 ms, every treatment one at 2 ms. Nothing lies above
    // the bucket of the pooled p99, so Mood's test splits at that bucket: all treatment
    // requests are at or above it, no control request is.
    const mood = estimated(
      twoProportionZTest({ n: 2000, successes: 0 }, { n: 2000, successes: 2000 }),
    );
    const adjusted = holm([abs.pValue, errors.pValue, mood.pValue], 0.05).adjusted;
    expect(click.pValue).toBeCloseTo(adjusted[0], 12);
    expect(metric(results, 'treatment', 'error_rate').pValue).toBeCloseTo(adjusted[1], 12);
    expect(metric(results, 'treatment', 'error_rate').significant).toBe(adjusted[1] <= 0.05);
    expect(metric(results, 'treatment', 'latency').pValue).toBeCloseTo(adjusted[2], 12);
    expect(metric(results, 'treatment', 'latency').significant).toBe(true);
    expect(metric(results, 'control', 'click').lift).toBe(0);

    expect(results.srm?.chiSquare).toBe(0);
    expect(results.srm?.mismatch).toBe(false);
    expect(results.variants[0].expectedShare).toBeCloseTo(0.5, 12);
  });

  it('uses the mSPRT for the sequential method and Beta-Binomial for the Bayesian one', async () => {
    const c = { n: 2000, successes: 200 };
    const t = { n: 2000, successes: 260 };
    const sequential = testExperiment({
      policy: { alpha: 0.05, method: DecisionMethod.SEQUENTIAL },
    });
    const seqResults = await createResultsReader(await feed(sequential, arms)).results(sequential);
    const expected = estimated(sequentialProportionTest(c, t, { alpha: 0.05 }));
    const click = metric(seqResults, 'treatment', 'click');
    expect(click.differenceCi?.lower).toBeCloseTo(expected.ci[0], 12);
    expect(click.differenceCi?.upper).toBeCloseTo(expected.ci[1], 12);
    expect(seqResults.method).toBe(DecisionMethod.SEQUENTIAL);

    const bayes = testExperiment({ policy: { alpha: 0.05, method: DecisionMethod.BAYESIAN } });
    const bayesResults = await createResultsReader(await feed(bayes, arms)).results(bayes);
    const b = estimated(betaBinomialComparison(c, t, { alpha: 0.05 }));
    const bClick = metric(bayesResults, 'treatment', 'click');
    expect(bClick.chanceToBeatControl).toBeCloseTo(b.chanceToWin, 10);
    expect(bClick.expectedLoss).toBeCloseTo(b.expectedLoss[1], 12);
    // error_rate: lower is better, so beating control means fewer errors.
    const e = estimated(
      betaBinomialComparison({ n: 2000, successes: 10 }, { n: 2000, successes: 50 }),
    );
    expect(metric(bayesResults, 'treatment', 'error_rate').chanceToBeatControl).toBeCloseTo(
      1 - e.chanceToWin,
      10,
    );
  });

  it('reads latency percentiles from the histogram with order-statistic intervals', async () => {
    const experiment = testExperiment({
      secondaryMetrics: [{ name: 'latency', type: MetricType.LATENCY, percentile: 90 }],
      policy: { alpha: 0.05, method: DecisionMethod.FIXED },
    });
    const latency = (i: number) => 100 + ((i * 7919) % 5000);
    const store = await feed(experiment, {
      control: { units: 1000, errors: 0, clicks: 10, latency },
      treatment: { units: 1000, errors: 0, clicks: 10, latency: (i) => 2 * latency(i) },
    });
    const results = await createResultsReader(store).results(experiment);
    const counts = new Array<number>(BUCKET_COUNT).fill(0);
    for (let i = 0; i < 1000; i++) counts[bucketOf(latency(i))]++;
    const p90 = histogramPercentileInterval(LATENCY_BOUNDS, counts, 0.9, { alpha: 0.05 });
    const control = metric(results, 'control', 'latency');
    expect(control.mean).toBe(p90.estimate);
    expect([control.ci?.lower, control.ci?.upper]).toEqual([...p90.ci]);
    // The true p90 of the sample lies within one bucket (9%) of the estimate.
    const sorted = Array.from({ length: 1000 }, (_, i) => latency(i)).sort((a, b) => a - b);
    expect(Math.abs(control.mean / sorted[899] - 1)).toBeLessThan(0.1);
    const treatment = metric(results, 'treatment', 'latency');
    expect(treatment.lift).toBeGreaterThan(0.8);
    expect(treatment.difference).toBeGreaterThan(0);
    expect(treatment.significant).toBe(true);
  });

  it('applies CUPED to a continuous metric with a covariate (the same as estimated(cuped()) on the sums)', async () => {
    const experiment = testExperiment({
      secondaryMetrics: [
        { name: 'revenue', type: MetricType.CONTINUOUS, covariate: 'revenue_pre' },
      ],
      policy: { alpha: 0.05, method: DecisionMethod.FIXED },
    });
    const x = (i: number) => (i * 37) % 101;
    const y = (i: number) => x(i) + ((i * 13) % 7);
    const store = await feed(experiment, {
      control: { units: 500, errors: 0, clicks: 5, latency: () => 1000, revenue: y, covariate: x },
      treatment: {
        units: 500,
        errors: 0,
        clicks: 5,
        latency: () => 1000,
        revenue: (i) => y(i) + 1,
        covariate: x,
      },
    });
    const results = await createResultsReader(store).results(experiment);
    const sums = (f: (i: number) => number) => {
      let sumY = 0,
        sumYSquares = 0,
        sumX = 0,
        sumXSquares = 0,
        sumXY = 0;
      for (let i = 0; i < 500; i++) {
        const yi = f(i);
        sumY += yi;
        sumYSquares += yi * yi;
        sumX += x(i);
        sumXSquares += x(i) * x(i);
        sumXY += x(i) * yi;
      }
      return { n: 500, sumY, sumYSquares, sumX, sumXSquares, sumXY };
    };
    const expected = estimated(
      cuped(
        sums(y),
        sums((i) => y(i) + 1),
        { alpha: 0.05 },
      ),
    );
    const revenue = metric(results, 'treatment', 'revenue');
    expect(revenue.difference).toBeCloseTo(estimated(expected.comparison).estimate, 9);
    expect(revenue.differenceCi?.lower).toBeCloseTo(estimated(expected.comparison).ci[0], 9);
    // Without CUPED the interval would be far wider.
    const plain = estimated(
      welchTTest(
        { n: 500, sum: sums(y).sumY, sumSquares: sums(y).sumYSquares },
        { n: 500, sum: sums((i) => y(i) + 1).sumY, sumSquares: sums((i) => y(i) + 1).sumYSquares },
      ),
    );
    expect(revenue.differenceCi!.upper - revenue.differenceCi!.lower).toBeLessThan(
      (plain.ci[1] - plain.ci[0]) / 3,
    );
  });

  it('flags a sample ratio mismatch against the configured weights', async () => {
    const experiment = testExperiment();
    const store = await feed(experiment, {
      control: { units: 10_400, errors: 0, clicks: 0, latency: () => 1000 },
      treatment: { units: 9_600, errors: 0, clicks: 0, latency: () => 1000 },
    });
    const results = await createResultsReader(store).results(experiment);
    const expected = sampleRatioMismatch([10_400, 9_600], [0.5, 0.5], { threshold: 0.001 });
    const sequential = sequentialSampleRatioMismatch([10_400, 9_600], [0.5, 0.5]);
    expect(results.srm?.chiSquare).toBeCloseTo(expected.chi2, 9);
    // The decision uses the always-valid p-value, larger than the chi-square's one-look p.
    expect(results.srm?.pValue).toBeCloseTo(sequential.pValue, 12);
    expect(sequential.pValue).toBeGreaterThan(expected.pValue);
    expect(results.srm?.mismatch).toBe(true);
    expect(results.variants[0].observedShare).toBeCloseTo(0.52, 12);
  });

  it('checks the split against the weights in force when each unit arrived (canary steps)', async () => {
    const weighted = (canary: number) =>
      testExperiment({
        kind: experimentsV1.ExperimentKind.CANARY,
        variants: [
          { name: 'control', weight: 1 - canary, role: experimentsV1.VariantRole.CONTROL },
          { name: 'treatment', weight: canary, role: experimentsV1.VariantRole.TREATMENT },
        ],
      });
    let current = weighted(0.1);
    const store = createMemoryStore();
    const ingest = createIngest({
      store,
      experiment: () => current,
      now: () => new Date(T0),
      logger,
    });
    // 10,000 units at 10%, then 10,000 new units at 30%, split exactly as configured.
    const batch = (from: number, canaryUnits: number) =>
      exposures(
        Array.from({ length: 10_000 }, (_, i) =>
          exposure(`e${from + i}`, i < canaryUnits ? 'treatment' : 'control', `u${from + i}`),
        ),
      );
    await ingest.recordExposures(batch(0, 1_000));
    current = weighted(0.3);
    await ingest.recordExposures(batch(10_000, 3_000));
    await ingest.close();
    const results = await createResultsReader(store).results(current);
    expect(results.variants[1].units).toBe(4_000n);
    expect(results.variants[1].expectedShare).toBeCloseTo(0.2, 12);
    expect(results.srm?.chiSquare).toBeCloseTo(0, 9);
    expect(results.srm?.mismatch).toBe(false);
    // Against the current weights alone (30%) the same split would look broken.
    expect(sampleRatioMismatch([16_000, 4_000], [0.7, 0.3]).mismatch).toBe(true);
  });

  it('rejects an empty range and widths the ingest cannot have written', async () => {
    const reader = createResultsReader(createMemoryStore());
    await expect(
      reader.results(testExperiment(), { start: new Date(T0), end: new Date(T0) }),
    ).rejects.toMatchObject({ field: 'end_time' });
    expect(() => createResultsReader(createMemoryStore(), { windowMs: 7, rollupMs: 10 })).toThrow(
      /rollupMs/,
    );
  });

  it('reads only the windows overlapping the range', async () => {
    const experiment = testExperiment();
    const store = createMemoryStore();
    const ingest = createIngest({
      store,
      experiment: () => experiment,
      now: () => new Date(T0 + 10 * HOUR),
      logger,
    });
    await ingest.recordExposures(
      exposures([
        exposure('a', 'control', 'u1', { timeMs: T0 + 10 }),
        exposure('b', 'control', 'u2', { timeMs: T0 + 2 * HOUR + 10 }),
        exposure('c', 'treatment', 'u3', { timeMs: T0 + 2 * HOUR + 20 }),
      ]),
    );
    await ingest.close();
    const reader = createResultsReader(store);
    const all = await reader.results(experiment);
    const late = await reader.results(experiment, { start: new Date(T0 + HOUR + 1) });
    const early = await reader.results(experiment, { end: new Date(T0 + HOUR) });
    expect(all.variants.map((v) => v.requests)).toEqual([2n, 1n]);
    expect(late.variants.map((v) => v.requests)).toEqual([1n, 1n]);
    expect(early.variants.map((v) => v.requests)).toEqual([1n, 0n]);
  });

  it('combines rollup days and edge windows for ranges spanning several days', async () => {
    const experiment = testExperiment();
    const store = createMemoryStore();
    const day = 24 * HOUR;
    const ingest = createIngest({
      store,
      experiment: () => experiment,
      now: () => new Date(T0 + 3 * day),
      logger,
    });
    const events = [];
    for (let d = 0; d < 3; d++) {
      for (const h of [3, 12, 20]) {
        events.push(
          exposure(`d${d}h${h}`, 'control', `u${d}-${h}`, { timeMs: T0 + d * day + h * HOUR + 5 }),
        );
      }
    }
    await ingest.recordExposures(exposures(events));
    await ingest.close();
    const reader = createResultsReader(store);
    const range = async (start: number, end: number) =>
      Number(
        (await reader.results(experiment, { start: new Date(start), end: new Date(end) }))
          .variants[0].requests,
      );
    expect(await range(T0 + 12 * HOUR, T0 + 2 * day + 6 * HOUR)).toBe(6);
    expect(await range(T0, T0 + 3 * day)).toBe(9);
    expect(await range(T0 + day, T0 + 2 * day)).toBe(3);
    expect(await range(T0 + 12 * HOUR + 30 * 60_000, T0 + 12 * HOUR + 31 * 60_000)).toBe(1);
    expect(await range(T0 + 4 * HOUR, T0 + 12 * HOUR)).toBe(0);
  });

  it('summarises shadow comparisons per shadow variant', async () => {
    const experiment = testExperiment({
      kind: experimentsV1.ExperimentKind.SHADOW,
      variants: [
        { name: 'control', weight: 1, role: experimentsV1.VariantRole.CONTROL },
        { name: 'shadow', role: experimentsV1.VariantRole.SHADOW, shadowSampleRate: 1 },
      ],
    });
    const store = createMemoryStore();
    const ingest = createIngest({
      store,
      experiment: () => experiment,
      now: () => new Date(T0),
      logger,
    });
    const comparisons = Array.from({ length: 100 }, (_, i) =>
      create(experimentsV1.ShadowComparisonSchema, {
        eventId: `s${i}`,
        experimentId: 'exp-1',
        primaryVariant: 'control',
        shadowVariant: 'shadow',
        requestId: `r${i}`,
        time: timestampFromMs(T0),
        outputsAgree: i % 10 !== 0,
        maxAbsDiff: i === 7 ? 0.9 : 0.1,
        meanAbsDiff: 0.01 * (i % 5),
        primaryLatencyUs: 1000n,
        shadowLatencyUs: 1100n,
        shadowStatusCode: i >= 96 ? 4 : 0,
      }),
    );
    const response = await ingest.recordShadowComparisons(
      create(experimentsV1.RecordShadowComparisonsRequestSchema, { comparisons }),
    );
    expect(response.acceptedCount).toBe(100n);
    await ingest.close();
    const results = await createResultsReader(store).results(experiment);
    expect(results.variants.map((v) => v.variant)).toEqual(['control']);
    const s = results.shadows[0];
    expect(s.variant).toBe('shadow');
    expect(s.comparisons).toBe(100n);
    expect(s.shadowErrorRate).toBeCloseTo(0.04, 12);
    // 96 successful calls, of which i % 10 === 0 disagree: 0, 10, ..., 90 = 10 of them.
    expect(s.agreementRate).toBeCloseTo(86 / 96, 12);
    expect(s.agreementCi!.lower).toBeLessThan(86 / 96);
    expect(s.maxAbsDiff).toBe(0.9);
    expect(s.meanLatencyDiffUs).toBeCloseTo(100, 9);
    expect(s.meanAbsDiff).toBeCloseTo(0.02, 2);
  });
});
