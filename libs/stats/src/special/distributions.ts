/**
 * CDFs and quantiles built on the special functions: Student's t, chi-square, binomial, beta and
 * Kolmogorov's limiting distribution.
 *
 * References: Abramowitz and Stegun, Handbook of Mathematical Functions (1964), 26.5.27 (t via the
 * incomplete beta), 26.4.19 (chi-square via the incomplete gamma), 26.5.24 (binomial via the
 * incomplete beta); A. N. Kolmogorov (1933) for the limiting distribution of √n·D, with the
 * theta-function form for small arguments (W. Feller, Ann. Math. Statist. 19 (1948) 177-189).
 */

import { logBeta, regularizedBeta, regularizedBetaComplement } from './beta';
import { regularizedGammaP, regularizedGammaQ } from './gamma';
import { normalQuantile } from './normal';

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { PI, abs, exp, floor, log, log1p, max, min, sqrt } = Math;

const QUANTILE_TOLERANCE = 1e-15;
const MAX_NEWTON_STEPS = 200;

/** Two-sided tail of Student's t: P(|T_ν| ≥ |t|). */
export function studentTTwoSided(t: number, df: number): number {
  const t2 = t * t;
  return regularizedBeta(df / (df + t2), df / 2, 0.5, t2 / (df + t2));
}

/** Survival function of Student's t: P(T_ν > t). */
export function studentTSf(t: number, df: number): number {
  const half = studentTTwoSided(t, df) / 2;
  return t >= 0 ? half : 1 - half;
}

/** CDF of Student's t: P(T_ν ≤ t). */
export function studentTCdf(t: number, df: number): number {
  return studentTSf(-t, df);
}

function studentTPdf(t: number, df: number): number {
  return exp(-((df + 1) / 2) * log1p((t * t) / df) - 0.5 * log(df) - logBeta(df / 2, 0.5));
}

/** Quantile of Student's t with ν degrees of freedom (Newton on the CDF, bracketed by bisection). */
export function studentTQuantile(p: number, df: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  if (p === 0.5) return 0;
  const tail = 1 - p;
  let lo = 0;
  let hi = max(1, normalQuantile(p));
  while (studentTSf(hi, df) > tail) {
    lo = hi;
    hi *= 2;
  }
  let t = min(max(normalQuantile(p), lo), hi);
  for (let i = 0; i < MAX_NEWTON_STEPS; i++) {
    const f = studentTSf(t, df) - tail;
    if (f > 0) lo = t;
    else hi = t;
    let next = t + f / studentTPdf(t, df);
    if (!(next > lo && next < hi)) next = (lo + hi) / 2;
    if (abs(next - t) <= QUANTILE_TOLERANCE * abs(t)) return next;
    t = next;
  }
  return t;
}

/** Survival function of chi-square with k degrees of freedom: P(χ²_k > x). */
export function chiSquareSf(x: number, df: number): number {
  return regularizedGammaQ(df / 2, x / 2);
}

/** CDF of chi-square with k degrees of freedom. */
export function chiSquareCdf(x: number, df: number): number {
  return regularizedGammaP(df / 2, x / 2);
}

/** Binomial CDF P(X ≤ k) for X ~ Binomial(n, p). */
export function binomialCdf(k: number, n: number, p: number): number {
  if (k < 0) return 0;
  if (k >= n) return 1;
  const j = floor(k);
  return regularizedBetaComplement(p, j + 1, n - j);
}

/** Smallest integer k with P(X ≤ k) ≥ q for X ~ Binomial(n, p) (the discrete quantile SciPy's `binom.ppf` returns). */
export function binomialQuantile(q: number, n: number, p: number): number {
  let lo = -1;
  let hi = n;
  while (hi - lo > 1) {
    const mid = floor((lo + hi) / 2);
    if (binomialCdf(mid, n, p) >= q) hi = mid;
    else lo = mid;
  }
  return hi;
}

/** Beta(a, b) density. */
export function betaPdf(x: number, a: number, b: number): number {
  if (x <= 0 || x >= 1) return 0;
  return exp((a - 1) * log(x) + (b - 1) * log1p(-x) - logBeta(a, b));
}

/** Beta(a, b) CDF. */
export function betaCdf(x: number, a: number, b: number): number {
  return regularizedBeta(x, a, b);
}

/** Beta(a, b) survival function, without cancellation. */
export function betaSf(x: number, a: number, b: number): number {
  return regularizedBetaComplement(x, a, b);
}

const KOLMOGOROV_SWITCH = 1;
const KOLMOGOROV_TERMS = 100;

/** Survival function of Kolmogorov's limiting distribution: P(K > z), K = lim √n·D_n. */
export function kolmogorovSf(z: number): number {
  if (z <= 0) return 1;
  if (z >= KOLMOGOROV_SWITCH) {
    let sum = 0;
    for (let k = 1; k <= KOLMOGOROV_TERMS; k++) {
      const term = exp(-2 * k * k * z * z);
      sum += k % 2 === 1 ? term : -term;
      if (term < 1e-300) break;
    }
    return 2 * sum;
  }
  // Below z = 1 the alternating series converges slowly; the theta-function form converges fast.
  let sum = 0;
  for (let k = 1; k <= KOLMOGOROV_TERMS; k++) {
    const term = exp((-((2 * k - 1) ** 2) * PI * PI) / (8 * z * z));
    sum += term;
    if (term < 1e-300) break;
  }
  return 1 - (sqrt(2 * PI) / z) * sum;
}
