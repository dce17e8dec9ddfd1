/**
 * Inputs a test cannot estimate from, and the properties every comparison keeps on random valid
 * input: finite numbers or `insufficient data`, and symmetry under swapping the arms.
 */

import fc from 'fast-check';
import {
  betaBinomialComparison,
  compare,
  isInsufficient,
  normalComparison,
  ratioBayesianComparison,
  ratioSequentialTest,
  ratioTTest,
  sequentialMeanTest,
  sequentialProportionTest,
  twoProportionZTest,
  welchTTest,
  type BinomialSummary,
  type Comparison,
  type InsufficientData,
  type MeanSummary,
  type RatioSummary,
} from './index';

describe('the examples of issue 21', () => {
  it('a higher treatment over a negative control mean is a positive relative effect', () => {
    const control = { n: 1000, sum: -500, sumSquares: 1250 };
    const treatment = { n: 1000, sum: -450, sumSquares: 1202.5 };
    for (const test of [welchTTest, sequentialMeanTest, normalComparison]) {
      const result = test(control, treatment, { relative: true });
      if (isInsufficient(result)) throw new Error(result.reason);
      expect(result.estimate).toBeCloseTo(0.1, 12);
      expect(result.ci[0]).toBeLessThan(result.estimate);
      expect(result.ci[1]).toBeGreaterThan(result.estimate);
    }
    const out = compare({
      type: 'mean',
      control: { n: 1000, sum: -500, sum_squares: 1250 },
      treatment: { n: 1000, sum: -450, sum_squares: 1202.5 },
      relative: true,
    });
    expect(out.status).toBe('ok');
    if (out.status === 'ok') expect(out.estimate).toBeCloseTo(0.1, 12);
  });

  it('a zero-variance arm gives insufficient data for the relative effect, not certainty', () => {
    const control = { n: 300, successes: 2 };
    const treatment = { n: 300, successes: 0 };
    for (const test of [twoProportionZTest, sequentialProportionTest, betaBinomialComparison]) {
      const result = test(control, treatment, { relative: true });
      expect(result).toMatchObject({ status: 'insufficient data' });
    }
    const absolute = twoProportionZTest(control, treatment);
    if (isInsufficient(absolute)) throw new Error(absolute.reason);
    expect(absolute.pValue).toBeGreaterThan(0.1);
  });

  it('finds two constant but different proportions significant, as the pooled z-test does', () => {
    // A treatment failing every request against a control failing none: the guardrail case.
    for (const test of [twoProportionZTest, sequentialProportionTest]) {
      const result = test({ n: 100, successes: 0 }, { n: 100, successes: 100 });
      if (isInsufficient(result)) throw new Error(result.reason);
      expect(result.estimate).toBe(1);
      expect(result.pValue).toBeLessThan(0.001);
    }
  });

  it('refuses empty arms, constant data and control means near 0, naming the field', () => {
    const cases: Array<[Comparison | InsufficientData, string]> = [
      [twoProportionZTest({ n: 0, successes: 0 }, { n: 10, successes: 1 }), 'control.n'],
      [twoProportionZTest({ n: 100, successes: 0 }, { n: 100, successes: 0 }), 'successes'],
      [sequentialProportionTest({ n: 100, successes: 0 }, { n: 100, successes: 0 }), 'variance'],
      [welchTTest({ n: 5, sum: 5, sumSquares: 5 }, { n: 1, sum: 2, sumSquares: 4 }), 'treatment.n'],
      [welchTTest({ n: 5, sum: 5, sumSquares: 5 }, { n: 5, sum: 5, sumSquares: 5 }), 'variance'],
      [
        sequentialMeanTest({ n: 50, sum: 50, sumSquares: 50 }, { n: 50, sum: 50, sumSquares: 50 }),
        'variance',
      ],
      [
        welchTTest(
          { n: 100, sum: 0.5, sumSquares: 100 },
          { n: 100, sum: 10, sumSquares: 120 },
          { relative: true },
        ),
        'control',
      ],
      [
        welchTTest({ n: 10, sum: 10, sumSquares: 5 }, { n: 10, sum: 10, sumSquares: 20 }),
        'control.sum_squares',
      ],
    ];
    for (const [result, field] of cases) {
      expect(result).toMatchObject({ status: 'insufficient data', field });
    }
    expect(
      compare({
        type: 'binomial',
        control: { n: 0, successes: 0 },
        treatment: { n: 0, successes: 0 },
      }),
    ).toMatchObject({ status: 'insufficient data', field: 'control.n' });
  });
});

const binomial = fc
  .tuple(fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1, noNaN: true }))
  .map(([n, share]): BinomialSummary => ({ n, successes: Math.round(n * share) }));

/** Sufficient statistics of a real sample, so that they are always consistent. */
const sample = fc
  .array(fc.double({ min: -1e3, max: 1e3, noNaN: true }), { minLength: 0, maxLength: 40 })
  .map((xs): MeanSummary => ({
    n: xs.length,
    sum: xs.reduce((s, x) => s + x, 0),
    sumSquares: xs.reduce((s, x) => s + x * x, 0),
  }));

const ratioSample = fc
  .array(fc.tuple(fc.double({ min: 0, max: 100, noNaN: true }), fc.integer({ min: 0, max: 20 })), {
    minLength: 0,
    maxLength: 40,
  })
  .map((units): RatioSummary => ({
    n: units.length,
    sumY: units.reduce((s, [y]) => s + y, 0),
    sumYSquares: units.reduce((s, [y]) => s + y * y, 0),
    sumX: units.reduce((s, [, x]) => s + x, 0),
    sumXSquares: units.reduce((s, [, x]) => s + x * x, 0),
    sumXY: units.reduce((s, [y, x]) => s + x * y, 0),
  }));

type Test<S> = (c: S, t: S, o: { relative: boolean }) => Comparison | InsufficientData;

function finiteOrInsufficient(result: Comparison | InsufficientData): boolean {
  if (isInsufficient(result)) return result.reason.length > 0 && result.field.length > 0;
  const numbers = [result.estimate, result.se, result.pValue, result.statistic, ...result.ci];
  if ('chanceToWin' in result) {
    const b = result as Comparison & { chanceToWin: number; expectedLoss: number[] };
    numbers.push(b.chanceToWin, ...b.expectedLoss);
  }
  return (
    numbers.every(Number.isFinite) &&
    result.pValue >= 0 &&
    result.pValue <= 1 &&
    result.ci[0] <= result.estimate &&
    result.estimate <= result.ci[1]
  );
}

function properties<S>(name: string, arb: fc.Arbitrary<S>, tests: Record<string, Test<S>>) {
  describe(`${name} on random valid input`, () => {
    for (const [label, test] of Object.entries(tests)) {
      it(`${label}: every field is finite, or the answer is insufficient data`, () => {
        fc.assert(
          fc.property(arb, arb, fc.boolean(), (c, t, relative) =>
            finiteOrInsufficient(test(c, t, { relative })),
          ),
        );
      });
      it(`${label}: swapping the arms negates the difference and inverts chance to win`, () => {
        fc.assert(
          fc.property(arb, arb, (c, t) => {
            const forward = test(c, t, { relative: false });
            const backward = test(t, c, { relative: false });
            if (isInsufficient(forward) || isInsufficient(backward)) {
              return isInsufficient(forward) === isInsufficient(backward);
            }
            const scale = Math.max(1, Math.abs(forward.estimate));
            if (Math.abs(forward.estimate + backward.estimate) > 1e-9 * scale) return false;
            if ('chanceToWin' in forward && 'chanceToWin' in backward) {
              const f = forward.chanceToWin as number;
              const b = backward.chanceToWin as number;
              return Math.abs(f + b - 1) < 1e-9;
            }
            return Math.abs(forward.pValue - backward.pValue) < 1e-9;
          }),
        );
      });
    }
  });
}

properties<BinomialSummary>('binary metrics', binomial, {
  'z-test': twoProportionZTest,
  mSPRT: sequentialProportionTest,
  'Beta-Binomial': betaBinomialComparison,
});
properties<MeanSummary>('continuous metrics', sample, {
  Welch: welchTTest,
  mSPRT: sequentialMeanTest,
  Normal: normalComparison,
});
properties<RatioSummary>('ratio metrics', ratioSample, {
  'delta-method t': ratioTTest,
  mSPRT: ratioSequentialTest,
  Normal: ratioBayesianComparison,
});
