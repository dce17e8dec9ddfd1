/**
 * Every statistic, p-value and interval against values computed independently with SciPy and
 * statsmodels (fixtures/generate.py → fixtures/reference.json), to 1e-6 relative.
 */

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  benjaminiHochberg,
  betaBinomialComparison,
  binomialCdf,
  binomialQuantile,
  bonferroni,
  chiSquareHomogeneity,
  chiSquareSf,
  compare,
  cuped,
  holm,
  kolmogorovSf,
  ksTwoSample,
  normalCdf,
  normalComparison,
  normalQuantile,
  percentileInterval,
  periodStratifiedDifference,
  psi,
  regularizedBeta,
  regularizedGammaQ,
  sampleRatioMismatch,
  sequentialMeanTest,
  sequentialProportionTest,
  srm,
  studentTQuantile,
  studentTSf,
  twoProportionZTest,
  welchTTest,
  type BinomialPeriod,
  type BinomialSummary,
  type Comparison,
  type CovariateSummary,
  type MeanSummary,
  estimated,
  ratioBayesianComparison,
  ratioMoments,
  ratioSequentialTest,
  ratioTTest,
  sequentialSampleRatioMismatch,
  stratifiedSequentialTest,
  type RatioSummary,
  type MeanPeriod,
  stratifiedMeanDifference,
  stratifiedMeanSequentialTest,
} from './index';

interface Expected {
  estimate: number;
  se?: number;
  ci: [number, number];
  pValue: number;
  statistic?: number;
  df?: number;
  likelihoodRatio?: number;
  mixingVariance?: number;
}

interface Reference {
  special: Record<string, number[][]>;
  twoProportionZTest: Array<{
    control: BinomialSummary;
    treatment: BinomialSummary;
    alpha: number;
    absolute: Expected;
    relative: Expected;
  }>;
  welchTTest: Array<{
    control: MeanSummary;
    treatment: MeanSummary;
    alpha: number;
    absolute: Expected;
    relative: Expected;
  }>;
  sequential: Array<{
    type: 'binomial' | 'mean';
    control: BinomialSummary & MeanSummary;
    treatment: BinomialSummary & MeanSummary;
    alpha: number;
    mixingEffectSize: number;
    absolute: Expected;
    relative: Expected;
  }>;
  betaBinomial: Array<{
    control: BinomialSummary;
    treatment: BinomialSummary;
    alpha: number;
    chanceToWin: number;
    chanceToLose: number;
    relativeChanceToWin: number;
    expectedLoss: [number, number];
    absolute: Expected;
    relative: Expected;
  }>;
  normalBayesian: Array<{
    control: MeanSummary;
    treatment: MeanSummary;
    alpha: number;
    chanceToWin: number;
    expectedLoss: [number, number];
    absolute: Expected;
  }>;
  srm: Array<{
    counts: number[];
    weights: number[];
    chi2: number;
    pValue: number;
    mismatch: boolean;
  }>;
  cuped: Array<{
    control: CovariateSummary;
    treatment: CovariateSummary;
    alpha: number;
    theta: number;
    adjustedMeans: [number, number];
    varianceReduction: number;
    comparison: Expected;
  }>;
  corrections: Array<
    { pValues: number[] } & Record<
      'bonferroni' | 'holm' | 'benjaminiHochberg',
      { adjusted: number[]; rejected: boolean[] }
    >
  >;
  percentiles: Array<{
    sample: number[];
    q: number;
    alpha: number;
    estimate: number;
    ci: [number, number];
    ranks: [number, number];
    coverage: number;
  }>;
  periodStratified: Array<{ periods: BinomialPeriod[]; expected: Expected }>;
  negativeControl: Array<{
    control: MeanSummary;
    treatment: MeanSummary;
    alpha: number;
    relative: Expected;
  }>;
  ratio: Array<{
    control: RatioSummary;
    treatment: RatioSummary;
    alpha: number;
    mixingEffectSize: number;
    ratios: [number, number];
    fixed: Expected;
    fixedRelative: Expected;
    sequential: Expected;
    sequentialRelative: Expected;
    bayesianChanceToWin: number;
    bayesianRelativeChanceToWin: number;
  }>;
  stratifiedSequential: Array<{
    periods: BinomialPeriod[];
    alpha: number;
    mixingEffectSize: number;
    expected: Expected;
  }>;
  stratifiedMeans: Array<{
    periods: MeanPeriod[];
    alpha: number;
    mixingEffectSize: number;
    sequential: Expected;
    fixed: Expected;
  }>;
  sequentialSrm: Array<{
    counts: number[];
    weights: number[];
    concentration: number;
    logBayesFactor: number;
    pValue: number;
  }>;
  psi: Array<{
    reference: number[];
    current: number[];
    bins: number;
    smoothing: number;
    edges: number[];
    referenceCounts: number[];
    currentCounts: number[];
    psi: number;
  }>;
  ks: Array<{
    sample1: number[];
    sample2: number[];
    method: 'exact' | 'asymptotic';
    statistic: number;
    pValue: number;
  }>;
  chiSquare: Array<{
    referenceCounts: number[];
    currentCounts: number[];
    chi2: number;
    df: number;
    pValue: number;
  }>;
}

const reference = JSON.parse(
  readFileSync(join(__dirname, '..', 'fixtures', 'reference.json'), 'utf8'),
) as Reference;

const RELATIVE_TOLERANCE = 1e-6;
/** Only for expected values that are exactly zero, where a relative tolerance means nothing. */
const ZERO_TOLERANCE = 1e-12;

function expectClose(actual: number, expected: number, label: string): void {
  const tolerance = expected === 0 ? ZERO_TOLERANCE : RELATIVE_TOLERANCE * Math.abs(expected);
  if (!(Math.abs(actual - expected) <= tolerance)) {
    throw new Error(
      `${label}: got ${actual}, expected ${expected} (relative error ${Math.abs(actual - expected) / Math.abs(expected)})`,
    );
  }
}

function expectComparison(actual: Comparison, expected: Expected, label: string): void {
  expectClose(actual.estimate, expected.estimate, `${label} estimate`);
  if (expected.se !== undefined) expectClose(actual.se, expected.se, `${label} se`);
  expectClose(actual.ci[0], expected.ci[0], `${label} ci[0]`);
  expectClose(actual.ci[1], expected.ci[1], `${label} ci[1]`);
  expectClose(actual.pValue, expected.pValue, `${label} p-value`);
  if (expected.statistic !== undefined)
    expectClose(actual.statistic, expected.statistic, `${label} statistic`);
  if (expected.df !== undefined) expectClose(actual.df, expected.df, `${label} df`);
}

describe('special functions against SciPy', () => {
  const s = reference.special;
  it('normal CDF and quantile', () => {
    for (const [z, p] of s.normalCdf) expectClose(normalCdf(z), p, `normalCdf(${z})`);
    for (const [p, z] of s.normalQuantile)
      expectClose(normalQuantile(p), z, `normalQuantile(${p})`);
  });
  it("Student's t survival function and quantile", () => {
    for (const [t, df, p] of s.studentTSf)
      expectClose(studentTSf(t, df), p, `studentTSf(${t}, ${df})`);
    for (const [p, df, t] of s.studentTQuantile)
      expectClose(studentTQuantile(p, df), t, `studentTQuantile(${p}, ${df})`);
  });
  it('chi-square, binomial and Kolmogorov distributions', () => {
    for (const [x, df, p] of s.chiSquareSf)
      expectClose(chiSquareSf(x, df), p, `chiSquareSf(${x}, ${df})`);
    for (const [k, n, p, c] of s.binomialCdf)
      expectClose(binomialCdf(k, n, p), c, `binomialCdf(${k}, ${n}, ${p})`);
    for (const [q, n, p, k] of s.binomialQuantile) expect(binomialQuantile(q, n, p)).toBe(k);
    for (const [z, p] of s.kolmogorovSf) expectClose(kolmogorovSf(z), p, `kolmogorovSf(${z})`);
  });
  it('incomplete beta and gamma functions', () => {
    for (const [x, a, b, v] of s.regularizedBeta)
      expectClose(regularizedBeta(x, a, b), v, `I_${x}(${a}, ${b})`);
    for (const [a, x, v] of s.regularizedGammaQ)
      expectClose(regularizedGammaQ(a, x), v, `Q(${a}, ${x})`);
  });
});

describe('fixed-horizon tests against statsmodels and SciPy', () => {
  it.each(reference.twoProportionZTest.map((c, i) => [i, c] as const))(
    'two-proportion z-test, case %i',
    (_, c) => {
      expectComparison(
        estimated(twoProportionZTest(c.control, c.treatment, { alpha: c.alpha })),
        c.absolute,
        'absolute',
      );
      expectComparison(
        estimated(twoProportionZTest(c.control, c.treatment, { alpha: c.alpha, relative: true })),
        c.relative,
        'relative',
      );
    },
  );
  it.each(reference.welchTTest.map((c, i) => [i, c] as const))(
    "Welch's t-test, case %i",
    (_, c) => {
      expectComparison(
        estimated(welchTTest(c.control, c.treatment, { alpha: c.alpha })),
        c.absolute,
        'absolute',
      );
      expectComparison(
        estimated(welchTTest(c.control, c.treatment, { alpha: c.alpha, relative: true })),
        c.relative,
        'relative',
      );
    },
  );
});

describe('mSPRT against the formula of Johari et al. in NumPy', () => {
  it.each(reference.sequential.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    for (const relative of [false, true]) {
      const options = { alpha: c.alpha, relative, mixingEffectSize: c.mixingEffectSize };
      const result =
        c.type === 'binomial'
          ? estimated(sequentialProportionTest(c.control, c.treatment, options))
          : estimated(sequentialMeanTest(c.control, c.treatment, options));
      const expected = relative ? c.relative : c.absolute;
      const label = relative ? 'relative' : 'absolute';
      expectComparison(result, expected, label);
      expectClose(
        result.likelihoodRatio,
        expected.likelihoodRatio ?? NaN,
        `${label} likelihood ratio`,
      );
      expectClose(
        result.mixingVariance,
        expected.mixingVariance ?? NaN,
        `${label} mixing variance`,
      );
    }
  });
});

describe('Bayesian comparisons against closed-form sums', () => {
  it.each(reference.betaBinomial.map((c, i) => [i, c] as const))(
    'Beta-Binomial, case %i',
    (_, c) => {
      const result = estimated(betaBinomialComparison(c.control, c.treatment, { alpha: c.alpha }));
      expectClose(result.chanceToWin, c.chanceToWin, 'chance to win');
      expectClose(1 - result.chanceToWin, c.chanceToLose, 'chance to lose');
      expectClose(result.expectedLoss[0], c.expectedLoss[0], 'expected loss of control');
      expectClose(result.expectedLoss[1], c.expectedLoss[1], 'expected loss of treatment');
      expectComparison(
        result,
        { ...c.absolute, pValue: 2 * Math.min(c.chanceToWin, c.chanceToLose) },
        'absolute',
      );
      const relative = estimated(
        betaBinomialComparison(c.control, c.treatment, {
          alpha: c.alpha,
          relative: true,
        }),
      );
      const w = c.relativeChanceToWin;
      expectComparison(relative, { ...c.relative, pValue: 2 * Math.min(w, 1 - w) }, 'relative');
      expectClose(relative.chanceToWin, w, 'relative chance to win');
    },
  );
  it.each(reference.normalBayesian.map((c, i) => [i, c] as const))('Normal, case %i', (_, c) => {
    const result = estimated(normalComparison(c.control, c.treatment, { alpha: c.alpha }));
    expectClose(result.chanceToWin, c.chanceToWin, 'chance to win');
    expectClose(result.expectedLoss[0], c.expectedLoss[0], 'expected loss of control');
    expectClose(result.expectedLoss[1], c.expectedLoss[1], 'expected loss of treatment');
    expectComparison(
      result,
      { ...c.absolute, pValue: 2 * Math.min(c.chanceToWin, 1 - c.chanceToWin) },
      'absolute',
    );
  });
});

describe('SRM, CUPED, corrections, percentiles and period stratification', () => {
  it('sample-ratio mismatch matches scipy.stats.chisquare', () => {
    for (const c of reference.srm) {
      const result = sampleRatioMismatch(c.counts, c.weights);
      expectClose(result.chi2, c.chi2, `chi2 ${c.counts}`);
      expectClose(result.pValue, c.pValue, `p ${c.counts}`);
      expect(result.mismatch).toBe(c.mismatch);
    }
  });
  it('CUPED from sufficient statistics matches a t-test on the adjusted raw data', () => {
    for (const c of reference.cuped) {
      const result = estimated(cuped(c.control, c.treatment, { alpha: c.alpha }));
      expectClose(result.theta, c.theta, 'theta');
      expectClose(result.control.mean, c.adjustedMeans[0], 'adjusted control mean');
      expectClose(result.treatment.mean, c.adjustedMeans[1], 'adjusted treatment mean');
      expectClose(result.varianceReduction, c.varianceReduction, 'variance reduction');
      expectComparison(estimated(result.comparison), c.comparison, 'adjusted comparison');
    }
  });
  it('Bonferroni, Holm and Benjamini-Hochberg match statsmodels multipletests', () => {
    const methods = { bonferroni, holm, benjaminiHochberg };
    for (const c of reference.corrections) {
      for (const name of ['bonferroni', 'holm', 'benjaminiHochberg'] as const) {
        const result = methods[name](c.pValues, 0.05);
        c[name].adjusted.forEach((p, i) => expectClose(result.adjusted[i], p, `${name}[${i}]`));
        expect(result.rejected).toEqual(c[name].rejected);
      }
    }
  });
  it('order-statistic percentile intervals match SciPy binomial quantiles', () => {
    for (const c of reference.percentiles) {
      const result = percentileInterval(c.sample, c.q, { alpha: c.alpha });
      expect(result.ranks).toEqual(c.ranks);
      expect(result.estimate).toBe(c.estimate);
      expect(result.ci).toEqual(c.ci);
      expectClose(result.coverage, c.coverage, `coverage n=${c.sample.length} q=${c.q}`);
    }
  });
  it('period-stratified difference matches the NumPy computation', () => {
    for (const c of reference.periodStratified)
      expectComparison(estimated(periodStratifiedDifference(c.periods)), c.expected, 'stratified');
  });
});

describe('drift statistics against SciPy and NumPy', () => {
  it('PSI with reference-quantile bins and smoothing', () => {
    for (const c of reference.psi) {
      const result = psi(c.reference, c.current, { bins: c.bins, smoothing: c.smoothing });
      expect(result.edges.length).toBe(c.edges.length);
      result.edges.forEach((e, i) => expectClose(e, c.edges[i], `edge ${i}`));
      expect(result.referenceCounts).toEqual(c.referenceCounts);
      expect(result.currentCounts).toEqual(c.currentCounts);
      expectClose(result.psi, c.psi, 'psi');
    }
  });
  it('two-sample Kolmogorov-Smirnov statistic and p-value', () => {
    for (const c of reference.ks) {
      const result = ksTwoSample(c.sample1, c.sample2, { method: c.method });
      const label = `ks ${c.sample1.length}x${c.sample2.length} ${c.method}`;
      expectClose(result.statistic, c.statistic, `${label} statistic`);
      expectClose(result.pValue, c.pValue, `${label} p-value`);
    }
  });
  it('chi-square test of homogeneity matches scipy.stats.chi2_contingency', () => {
    for (const c of reference.chiSquare) {
      const result = chiSquareHomogeneity(c.referenceCounts, c.currentCounts);
      expectClose(result.chi2, c.chi2, 'chi2');
      expect(result.df).toBe(c.df);
      expectClose(result.pValue, c.pValue, 'p-value');
    }
  });
});

describe('the JSON shapes of verdict stats compare / srm', () => {
  it('compare returns the reference numbers for each method', () => {
    const z = reference.twoProportionZTest[0];
    const out = estimated(
      compare({
        type: 'binomial',
        control: z.control,
        treatment: z.treatment,
        relative: false,
        method: 'frequentist',
        alpha: z.alpha,
      }),
    );
    expect(Object.keys(out).sort()).toEqual(['ci', 'estimate', 'p_value', 'se', 'status']);
    expectComparison(
      { ...out, pValue: out.p_value, statistic: NaN, df: NaN },
      { ...z.absolute, statistic: undefined },
      'compare binomial',
    );

    const w = reference.welchTTest[1];
    const mean = (s: MeanSummary) => ({ n: s.n, sum: s.sum, sum_squares: s.sumSquares });
    const outMean = estimated(
      compare({
        type: 'mean',
        control: mean(w.control),
        treatment: mean(w.treatment),
        relative: true,
        alpha: w.alpha,
      }),
    );
    expectComparison(
      { ...outMean, pValue: outMean.p_value, statistic: NaN, df: NaN },
      { ...w.relative, statistic: undefined },
      'compare mean',
    );

    const s = reference.sequential[0];
    const outSeq = estimated(
      compare({
        type: 'binomial',
        control: s.control,
        treatment: s.treatment,
        method: 'sequential',
        alpha: s.alpha,
      }),
    );
    expectClose(outSeq.p_value, s.absolute.pValue, 'compare sequential p');
    expectClose(outSeq.ci[1], s.absolute.ci[1], 'compare sequential ci');

    const b = reference.betaBinomial[0];
    const outBayes = estimated(
      compare({
        type: 'binomial',
        control: b.control,
        treatment: b.treatment,
        method: 'bayesian',
        alpha: b.alpha,
      }),
    );
    expect(Object.keys(outBayes).sort()).toEqual([
      'chance_to_win',
      'ci',
      'estimate',
      'expected_loss',
      'p_value',
      'se',
      'status',
    ]);
    expectClose(outBayes.chance_to_win ?? NaN, b.chanceToWin, 'compare chance to win');
    expectClose(outBayes.expected_loss?.[1] ?? NaN, b.expectedLoss[1], 'compare expected loss');
  });
  it('srm returns chi2, p_value and mismatch', () => {
    for (const c of reference.srm) {
      const out = srm({ counts: c.counts, weights: c.weights });
      expect(Object.keys(out).sort()).toEqual(['chi2', 'mismatch', 'p_value']);
      expectClose(out.chi2, c.chi2, 'chi2');
      expectClose(out.p_value, c.pValue, 'p');
      expect(out.mismatch).toBe(c.mismatch);
    }
  });
});

describe('relative effects over a negative control mean, against NumPy', () => {
  it.each(reference.negativeControl.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const result = estimated(
      welchTTest(c.control, c.treatment, { alpha: c.alpha, relative: true }),
    );
    expectComparison(result, c.relative, 'relative');
    const higher = c.treatment.sum / c.treatment.n > c.control.sum / c.control.n;
    expect(result.estimate > 0).toBe(higher);
  });
});

describe('ratio metrics by the delta method, against SciPy and statsmodels on linearized values', () => {
  it.each(reference.ratio.map((c, i) => [i, c] as const))('case %i', (_, c) => {
    const m = estimated(ratioMoments('control', c.control));
    expectClose(m.mean, c.ratios[0], 'control ratio');
    const base = { alpha: c.alpha, mixingEffectSize: c.mixingEffectSize };
    expectComparison(estimated(ratioTTest(c.control, c.treatment, base)), c.fixed, 'fixed');
    expectComparison(
      estimated(ratioTTest(c.control, c.treatment, { ...base, relative: true })),
      c.fixedRelative,
      'fixed relative',
    );
    for (const relative of [false, true]) {
      const result = estimated(ratioSequentialTest(c.control, c.treatment, { ...base, relative }));
      const expected = relative ? c.sequentialRelative : c.sequential;
      expectComparison(result, expected, `sequential ${relative}`);
      expectClose(result.likelihoodRatio, expected.likelihoodRatio ?? NaN, 'likelihood ratio');
    }
    const bayes = estimated(ratioBayesianComparison(c.control, c.treatment, base));
    expectClose(bayes.chanceToWin, c.bayesianChanceToWin, 'chance to win');
    const relativeBayes = estimated(
      ratioBayesianComparison(c.control, c.treatment, { ...base, relative: true }),
    );
    expectClose(relativeBayes.chanceToWin, c.bayesianRelativeChanceToWin, 'relative chance');
  });
});

describe('always-valid bandit analysis and sequential SRM, against NumPy and SciPy', () => {
  it.each(reference.stratifiedSequential.map((c, i) => [i, c] as const))(
    'Mantel-Haenszel stratified mSPRT, case %i',
    (_, c) => {
      const result = estimated(
        stratifiedSequentialTest(c.periods, {
          alpha: c.alpha,
          mixingEffectSize: c.mixingEffectSize,
        }),
      );
      expectComparison(result, c.expected, 'stratified sequential');
      expectClose(result.likelihoodRatio, c.expected.likelihoodRatio ?? NaN, 'likelihood ratio');
    },
  );
  it.each(reference.stratifiedMeans.map((c, i) => [i, c] as const))(
    'Mantel-Haenszel stratified means, case %i',
    (_, c) => {
      const options = { alpha: c.alpha, mixingEffectSize: c.mixingEffectSize };
      expectComparison(
        estimated(stratifiedMeanSequentialTest(c.periods, options)),
        c.sequential,
        'sequential',
      );
      expectComparison(estimated(stratifiedMeanDifference(c.periods, options)), c.fixed, 'fixed');
    },
  );
  it('Dirichlet-multinomial Bayes factor of Lindon and Malek', () => {
    for (const c of reference.sequentialSrm) {
      const result = sequentialSampleRatioMismatch(c.counts, c.weights, {
        concentration: c.concentration,
      });
      expectClose(result.logBayesFactor, c.logBayesFactor, `log BF ${c.counts}`);
      expectClose(result.pValue, c.pValue, `p ${c.counts}`);
      expect(result.mismatch).toBe(c.pValue < 0.001);
    }
  });
});
