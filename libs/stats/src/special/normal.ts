/**
 * The standard normal distribution.
 *
 * The CDF uses erfc(z) = Q(1/2, z²) (regularized upper incomplete gamma), which keeps full relative
 * precision in the tails. The quantile starts from P. J. Acklam's rational approximation
 * (relative error 1.15e-9, "An algorithm for computing the inverse normal cumulative distribution
 * function", 2003) and takes one Halley step on the exact CDF, which brings it to machine precision.
 */

import { regularizedGammaQ, regularizedGammaP } from './gamma';

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { PI, exp, log, sqrt } = Math;

const SQRT_TWO_PI = sqrt(2 * PI);

const A = [
  -3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2,
  -3.066479806614716e1, 2.506628277459239,
];
const B = [
  -5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1,
  -1.328068155288572e1,
];
const C = [
  -7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734,
  4.374664141464968, 2.938163982698783,
];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

/** Standard normal density φ(z). */
export function normalPdf(z: number): number {
  return exp(-0.5 * z * z) / SQRT_TWO_PI;
}

/** Standard normal CDF Φ(z). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const half = regularizedGammaQ(0.5, 0.5 * z * z) / 2;
  return z < 0 ? half : 1 - half;
}

/** Standard normal survival function 1 - Φ(z), accurate in the upper tail. */
export function normalSf(z: number): number {
  return normalCdf(-z);
}

/** Two-sided tail probability P(|Z| ≥ |z|). */
export function normalTwoSided(z: number): number {
  return regularizedGammaQ(0.5, 0.5 * z * z);
}

/** Central probability P(|Z| < |z|). */
export function normalCentral(z: number): number {
  return regularizedGammaP(0.5, 0.5 * z * z);
}

function acklam(p: number): number {
  if (p < P_LOW) {
    const q = sqrt(-2 * log(p));
    return (
      (((((C[0] * q + C[1]) * q + C[2]) * q + C[3]) * q + C[4]) * q + C[5]) /
      ((((D[0] * q + D[1]) * q + D[2]) * q + D[3]) * q + 1)
    );
  }
  if (p > 1 - P_LOW) return -acklam(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((A[0] * r + A[1]) * r + A[2]) * r + A[3]) * r + A[4]) * r + A[5]) * q) /
    (((((B[0] * r + B[1]) * r + B[2]) * r + B[3]) * r + B[4]) * r + 1)
  );
}

/** Standard normal quantile Φ⁻¹(p) for 0 < p < 1 (±Infinity at 0 and 1). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p > 0.5) return -normalQuantile(1 - p);
  const x = acklam(p);
  const e = normalCdf(x) - p;
  const u = e * SQRT_TWO_PI * exp(0.5 * x * x);
  return x - u / (1 + 0.5 * x * u);
}
