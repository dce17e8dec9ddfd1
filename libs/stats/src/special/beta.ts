/**
 * The regularized incomplete beta function.
 *
 * Reference: continued fraction (Didonato and Morris form) evaluated with the modified Lentz
 * method, Numerical Recipes, 3rd ed., section 6.4 (W. H. Press et al., 2007).
 */

import { logGamma } from './gamma';

// Module-level aliases: every lookup of the global `Math` is slow inside a vm context (Jest runs
// tests in one), and these functions sit in the inner loops of the simulations.
const { abs, exp, log } = Math;

const EPSILON = 1e-16;
const TINY = 1e-300;
const MAX_ITERATIONS = 1_000_000;

/** log B(a, b) = log Γ(a) + log Γ(b) - log Γ(a + b). */
export function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

function continuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m < MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/** The fraction converges fast only below the mean; above it, the symmetry I_x(a,b) = 1 - I_{1-x}(b,a) is used. */
function tailBelow(x: number, y: number, a: number, b: number): number {
  const front = exp(a * log(x) + b * log(y) - logBeta(a, b));
  return (front * continuedFraction(x, a, b)) / a;
}

/**
 * Regularized incomplete beta I_x(a, b) for a, b > 0 and 0 ≤ x ≤ 1.
 *
 * `y` is 1 - x; pass it when it is known more exactly than `1 - x` (for example t²/(ν + t²)),
 * so that values near 1 lose no digits.
 */
export function regularizedBeta(x: number, a: number, b: number, y: number = 1 - x): number {
  if (x <= 0) return 0;
  if (y <= 0) return 1;
  if (x < (a + 1) / (a + b + 2)) return tailBelow(x, y, a, b);
  return 1 - tailBelow(y, x, b, a);
}

/** Complement 1 - I_x(a, b) = I_{1-x}(b, a), computed without cancellation. */
export function regularizedBetaComplement(
  x: number,
  a: number,
  b: number,
  y: number = 1 - x,
): number {
  return regularizedBeta(y, b, a, x);
}
