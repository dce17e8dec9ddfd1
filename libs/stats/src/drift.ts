/**
 * Drift statistics between a reference sample (training data, stored as a profile at push time)
 * and a window of live inputs: the population stability index, the two-sample Kolmogorov-Smirnov
 * test, and a chi-square test of homogeneity for categorical features.
 *
 * References: B. Yurdakul, "Statistical Properties of Population Stability Index", PhD thesis,
 * Western Michigan University (2018) (PSI, its binning and its rule-of-thumb thresholds 0.1 and
 * 0.25); N. Smirnov (1939) and J. L. Hodges, "The significance probability of the Smirnov
 * two-sample test", Arkiv för Matematik 3 (1958) 469-486 (the exact null distribution as lattice
 * paths); A. N. Kolmogorov (1933) for the limiting distribution; K. Pearson (1900) for chi-square.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { requireAtLeast } from './summary';
import { chiSquareSf, kolmogorovSf } from './special/distributions';

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { abs, floor, log, max, min, round, sqrt } = Math;

/** Options for {@link psi}. */
export interface PsiOptions {
  /**
   * Number of bins, cut at the reference's quantiles i/bins so that each holds about the same
   * share of the reference; ties in the reference can merge bins.
   * @default 10
   */
  readonly bins?: number;
  /**
   * Pseudo-count added to every bin of both distributions before taking proportions,
   * (count + s) / (N + s·bins), so that an empty bin gives a finite logarithm. Adding it to every
   * bin (not only empty ones) keeps PSI a continuous function of the counts; 0.5 is the
   * Jeffreys-prior choice, and its effect vanishes as windows grow.
   * @default 0.5
   */
  readonly smoothing?: number;
}

/** PSI with the bins it used. */
export interface PsiResult {
  /** Σ (c_i - r_i) ln(c_i / r_i) over smoothed proportions. */
  readonly psi: number;
  /** Interior bin edges: bin i holds values in (edges[i-1], edges[i]]. */
  readonly edges: readonly number[];
  readonly referenceCounts: readonly number[];
  readonly currentCounts: readonly number[];
}

function sortedCopy(values: readonly number[], field: string): Float64Array {
  if (values.length === 0)
    throw new InvalidArgumentError({
      field,
      expected: 'a non-empty sample',
      received: 'an empty one',
    });
  const sorted = Float64Array.from(values);
  for (const v of sorted) {
    if (!Number.isFinite(v))
      throw new InvalidArgumentError({ field, expected: 'finite numbers', received: String(v) });
  }
  return sorted.sort();
}

/** Quantile with linear interpolation between order statistics (Hyndman and Fan type 7, NumPy's default). */
function quantileOfSorted(sorted: Float64Array, q: number): number {
  const h = (sorted.length - 1) * q;
  const lo = floor(h);
  const hi = min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/** Interior PSI bin edges from a reference sample: its quantiles at i/bins, duplicates removed. */
export function quantileEdges(reference: readonly number[], bins = 10): number[] {
  requireAtLeast('bins', bins, 2);
  const sorted = sortedCopy(reference, 'reference');
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const edge = quantileOfSorted(sorted, i / bins);
    if (edges.length === 0 || edge > edges[edges.length - 1]) edges.push(edge);
  }
  return edges;
}

/** Counts per bin for the given interior edges (bin i: (edges[i-1], edges[i]]). */
export function binCounts(values: readonly number[], edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let lo = 0;
    let hi = edges.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (edges[mid] < v) lo = mid + 1;
      else hi = mid;
    }
    counts[lo]++;
  }
  return counts;
}

/** PSI from bin counts (for reference profiles that store counts rather than samples). */
export function psiFromCounts(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
  smoothing = 0.5,
): number {
  if (referenceCounts.length !== currentCounts.length || referenceCounts.length < 2) {
    throw new InvalidArgumentError({
      field: 'currentCounts',
      expected: `as many bins as the reference (${referenceCounts.length}, at least 2)`,
      received: String(currentCounts.length),
    });
  }
  requireAtLeast('smoothing', smoothing, 0);
  const k = referenceCounts.length;
  const refTotal = referenceCounts.reduce((s, c) => s + c, 0) + smoothing * k;
  const curTotal = currentCounts.reduce((s, c) => s + c, 0) + smoothing * k;
  let psi = 0;
  for (let i = 0; i < k; i++) {
    const r = (referenceCounts[i] + smoothing) / refTotal;
    const c = (currentCounts[i] + smoothing) / curTotal;
    if (r === 0 && c === 0) continue;
    psi += (c - r) * log(c / r);
  }
  return psi;
}

/** PSI of `current` against `reference`, binned at the reference's quantiles. */
export function psi(
  reference: readonly number[],
  current: readonly number[],
  options: PsiOptions = {},
): PsiResult {
  const edges = quantileEdges(reference, options.bins ?? 10);
  sortedCopy(current, 'current');
  const referenceCounts = binCounts(reference, edges);
  const currentCounts = binCounts(current, edges);
  return {
    psi: psiFromCounts(referenceCounts, currentCounts, options.smoothing ?? 0.5),
    edges,
    referenceCounts,
    currentCounts,
  };
}

/** Options for {@link ksTwoSample}. */
export interface KsOptions {
  /**
   * 'exact' counts lattice paths (O(n₁·n₂) time); 'asymptotic' uses Kolmogorov's limiting
   * distribution of √(n₁n₂/(n₁+n₂))·D; 'auto' is exact when both samples have at most
   * `exactLimit` values, as SciPy's `ks_2samp` does.
   * @default 'auto'
   */
  readonly method?: 'auto' | 'exact' | 'asymptotic';
  /**
   * Largest sample size for which 'auto' is exact.
   * @default 10000
   */
  readonly exactLimit?: number;
}

/** Result of the two-sample Kolmogorov-Smirnov test. */
export interface KsResult {
  /** D = sup |F₁(x) - F₂(x)| over the empirical CDFs. */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

function ksStatistic(a: Float64Array, b: Float64Array): number {
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < a.length && j < b.length) {
    const v = min(a[i], b[j]);
    while (i < a.length && a[i] <= v) i++;
    while (j < b.length && b[j] <= v) j++;
    d = max(d, abs(i / a.length - j / b.length));
  }
  return d;
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/**
 * P(D ≥ h/lcm) under the null: the probability that a uniformly random lattice path from (0,0)
 * to (m,n) touches |x·n - y·m| ≥ h·g. Masses of the path's Markov chain (a step right has
 * probability (m-x)/(m+n-x-y)) are propagated row by row, and the mass that reaches the boundary
 * is summed: a sum of positive terms, so small p-values keep their relative precision.
 */
function exactOutsideProbability(m: number, n: number, h: number): number {
  const bound = h * gcd(m, n);
  const crosses = (x: number, y: number) => abs(x * n - y * m) >= bound;
  let row = new Float64Array(n + 1);
  let next = new Float64Array(n + 1);
  let outside = 0;
  row[0] = 1;
  for (let y = 1; y <= n; y++) {
    const value = row[y - 1] * ((n - (y - 1)) / (m + n - (y - 1)));
    if (crosses(0, y)) {
      outside += value;
      row[y] = 0;
    } else row[y] = value;
  }
  for (let x = 1; x <= m; x++) {
    for (let y = 0; y <= n; y++) {
      let value = row[y] * ((m - (x - 1)) / (m + n - (x - 1) - y));
      if (y > 0) value += next[y - 1] * ((n - (y - 1)) / (m + n - x - (y - 1)));
      if (value !== 0 && crosses(x, y)) {
        outside += value;
        next[y] = 0;
      } else next[y] = value;
    }
    [row, next] = [next, row];
  }
  return min(1, outside);
}

/** Two-sided two-sample Kolmogorov-Smirnov test. */
export function ksTwoSample(
  sample1: readonly number[],
  sample2: readonly number[],
  options: KsOptions = {},
): KsResult {
  const a = sortedCopy(sample1, 'sample1');
  const b = sortedCopy(sample2, 'sample2');
  const statistic = ksStatistic(a, b);
  const limit = options.exactLimit ?? 10_000;
  const requested = options.method ?? 'auto';
  const method =
    requested === 'auto' ? (max(a.length, b.length) <= limit ? 'exact' : 'asymptotic') : requested;
  if (method === 'exact') {
    const m = a.length;
    const n = b.length;
    const lcm = (m / gcd(m, n)) * n;
    // D is a multiple of 1/lcm; rounding removes the floating error of i/m - j/n.
    const h = round(statistic * lcm);
    return { statistic, pValue: h === 0 ? 1 : exactOutsideProbability(m, n, h), method };
  }
  const en = (a.length * b.length) / (a.length + b.length);
  return {
    statistic,
    pValue: min(1, max(0, kolmogorovSf(sqrt(en) * statistic))),
    method,
  };
}

/** Result of the chi-square test of homogeneity. */
export interface ChiSquareResult {
  readonly chi2: number;
  readonly df: number;
  readonly pValue: number;
}

/**
 * Chi-square test that two categorical samples (counts per category, aligned by index) come from
 * the same distribution: Pearson's statistic on the 2×k table, without continuity correction.
 * Categories empty in both samples are dropped (they carry no information).
 */
export function chiSquareHomogeneity(
  referenceCounts: readonly number[],
  currentCounts: readonly number[],
): ChiSquareResult {
  if (referenceCounts.length !== currentCounts.length) {
    throw new InvalidArgumentError({
      field: 'currentCounts',
      expected: `one count per reference category (${referenceCounts.length})`,
      received: String(currentCounts.length),
    });
  }
  const columns: Array<[number, number]> = [];
  referenceCounts.forEach((r, i) => {
    requireAtLeast(`referenceCounts[${i}]`, r, 0);
    requireAtLeast(`currentCounts[${i}]`, currentCounts[i], 0);
    if (r + currentCounts[i] > 0) columns.push([r, currentCounts[i]]);
  });
  const refTotal = columns.reduce((s, [r]) => s + r, 0);
  const curTotal = columns.reduce((s, [, c]) => s + c, 0);
  if (columns.length < 2 || refTotal === 0 || curTotal === 0) {
    throw new InvalidArgumentError({
      field: 'counts',
      expected: 'two non-empty samples over at least two categories',
      received: `${columns.length} categories, totals ${refTotal} and ${curTotal}`,
    });
  }
  const total = refTotal + curTotal;
  let chi2 = 0;
  for (const [r, c] of columns) {
    const column = r + c;
    const er = (refTotal * column) / total;
    const ec = (curTotal * column) / total;
    chi2 += ((r - er) * (r - er)) / er + ((c - ec) * (c - ec)) / ec;
  }
  const df = columns.length - 1;
  return { chi2, df, pValue: chiSquareSf(chi2, df) };
}
