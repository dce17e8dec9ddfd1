/** Behaviour beyond the reference values: argument checks, method selection, monitors, histograms. */

import { InvalidArgumentError } from '@verdict/errors';
import {
  compare,
  createRandom,
  createSequentialMonitor,
  histogramPercentileInterval,
  ksTwoSample,
  percentileInterval,
  psiFromCounts,
  sampleRatioMismatch,
  sequentialProportionTest,
  srm,
  studentTQuantile,
  normalQuantile,
  thompsonWeights,
  twoProportionZTest,
  estimated,
} from './index';

describe('argument checks', () => {
  it('rejects impossible summaries and options with InvalidArgumentError naming the field', () => {
    expect(() =>
      estimated(twoProportionZTest({ n: 10, successes: 11 }, { n: 10, successes: 1 })),
    ).toThrow(expect.objectContaining({ field: 'control.successes' }));
    expect(() =>
      estimated(
        twoProportionZTest({ n: 10, successes: 1 }, { n: 10, successes: 1 }, { alpha: 1.5 }),
      ),
    ).toThrow(InvalidArgumentError);
    expect(() => sampleRatioMismatch([10, 20], [1])).toThrow(InvalidArgumentError);
    expect(() =>
      thompsonWeights(
        [
          { n: 0, successes: 0 },
          { n: 0, successes: 0 },
        ],
        createRandom(1),
        { minWeight: 0.5 },
      ),
    ).toThrow(expect.objectContaining({ field: 'minWeight' }));
  });

  it('compare and srm check the JSON they are given', () => {
    expect(() => estimated(compare({ type: 'quantile', control: {}, treatment: {} }))).toThrow(
      expect.objectContaining({ field: 'type' }),
    );
    expect(() =>
      estimated(
        compare({
          type: 'mean',
          control: { n: 10, sum: 3 },
          treatment: { n: 10, sum: 3, sum_squares: 9 },
        }),
      ),
    ).toThrow(expect.objectContaining({ field: 'control.sum_squares' }));
    expect(() =>
      estimated(
        compare({
          type: 'binomial',
          control: { n: 10, successes: 3 },
          treatment: { n: 10, successes: 4 },
          method: 'magic',
        }),
      ),
    ).toThrow(expect.objectContaining({ field: 'method' }));
    expect(() => srm({ counts: [1, 'two'], weights: [1, 1] })).toThrow(
      expect.objectContaining({ field: 'counts' }),
    );
    expect(srm({ counts: [5000, 5000], weights: [1, 1] })).toEqual({
      chi2: 0,
      p_value: 1,
      mismatch: false,
    });
  });
});

describe('quantiles', () => {
  it('round-trips the normal and t quantiles through their CDFs', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 14);
    expect(studentTQuantile(0.975, 1e9)).toBeCloseTo(1.959963984540054, 6);
    expect(studentTQuantile(0.5, 3)).toBe(0);
  });
});

describe('sequential monitor', () => {
  it('keeps the smallest p-value and the intersection of intervals across looks', () => {
    const monitor = createSequentialMonitor();
    const first = monitor.observe(
      estimated(sequentialProportionTest({ n: 2000, successes: 200 }, { n: 2000, successes: 260 })),
    );
    const second = monitor.observe(
      estimated(sequentialProportionTest({ n: 4000, successes: 400 }, { n: 4000, successes: 430 })),
    );
    expect(second.pValue).toBe(first.pValue);
    expect(second.ci[0]).toBeGreaterThanOrEqual(first.ci[0]);
    expect(second.ci[1]).toBeLessThanOrEqual(first.ci[1]);
    expect(monitor.ci).toEqual(second.ci);
  });

  it('is wider than the fixed-horizon interval, the price of peeking', () => {
    const c = { n: 5000, successes: 500 };
    const t = { n: 5000, successes: 560 };
    const fixed = estimated(twoProportionZTest(c, t));
    const sequential = estimated(sequentialProportionTest(c, t));
    expect(sequential.ci[1] - sequential.ci[0]).toBeGreaterThan(fixed.ci[1] - fixed.ci[0]);
    expect(sequential.pValue).toBeGreaterThan(fixed.pValue);
  });
});

describe('Kolmogorov-Smirnov method selection', () => {
  it('is exact up to the limit and asymptotic beyond, and both agree on large samples', () => {
    const random = createRandom(11);
    const a = Array.from({ length: 3000 }, () => random.normal());
    const b = Array.from({ length: 2000 }, () => random.normal() + 0.05);
    const auto = ksTwoSample(a, b);
    const asymptotic = ksTwoSample(a, b, { method: 'asymptotic' });
    expect(auto.method).toBe('exact');
    expect(ksTwoSample(a, b, { exactLimit: 1000 }).method).toBe('asymptotic');
    expect(asymptotic.statistic).toBe(auto.statistic);
    expect(Math.abs(asymptotic.pValue - auto.pValue)).toBeLessThan(0.02);
  });

  it('gives p = 1 for identical samples', () => {
    expect(ksTwoSample([1, 2, 3], [1, 2, 3]).pValue).toBe(1);
  });
});

describe('percentile intervals', () => {
  it('agree between a sample and its histogram up to the bucket width', () => {
    const random = createRandom(12);
    const sample = Array.from({ length: 5000 }, () => Math.exp(3 + 0.5 * random.normal())).sort(
      (x, y) => x - y,
    );
    const bounds = Array.from({ length: 200 }, (_, i) => (i + 1) * 1);
    const counts = bounds.map((upper) => sample.filter((v) => v > upper - 1 && v <= upper).length);
    counts[counts.length - 1] += sample.filter((v) => v > 200).length;
    const exact = percentileInterval(sample, 0.99);
    const binned = histogramPercentileInterval(bounds, counts, 0.99);
    expect(binned.ranks).toEqual(exact.ranks);
    expect(binned.ci[0]).toBeLessThanOrEqual(exact.ci[0]);
    expect(binned.ci[0]).toBeGreaterThan(exact.ci[0] - 1);
    expect(binned.ci[1]).toBeGreaterThanOrEqual(exact.ci[1]);
    expect(binned.ci[1]).toBeLessThan(exact.ci[1] + 1);
    expect(exact.coverage).toBeGreaterThanOrEqual(0.95);
  });

  it('reports the lower coverage when the sample is too small for the level', () => {
    const result = percentileInterval([1, 2, 3, 4, 5], 0.99);
    expect(result.ranks).toEqual([4, 5]);
    expect(result.coverage).toBeLessThan(0.95);
  });
});

describe('PSI', () => {
  it('is zero for identical proportions and finite with empty bins thanks to smoothing', () => {
    expect(psiFromCounts([10, 20, 30], [20, 40, 60], 0)).toBeCloseTo(0, 15);
    const smoothed = psiFromCounts([100, 100, 100], [0, 150, 150]);
    expect(Number.isFinite(smoothed)).toBe(true);
    expect(smoothed).toBeGreaterThan(0.25);
  });
});
