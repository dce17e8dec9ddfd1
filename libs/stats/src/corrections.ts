/**
 * Multiple-comparison corrections across variants, metrics or features. Each returns adjusted
 * p-values (compare them with the unadjusted alpha) and which hypotheses are rejected.
 *
 * References: C. E. Bonferroni (1936); S. Holm, "A simple sequentially rejective multiple test
 * procedure", Scand. J. Statist. 6 (1979) 65-70 (controls the family-wise error rate under any
 * dependence); Y. Benjamini and Y. Hochberg, "Controlling the false discovery rate", J. R.
 * Statist. Soc. B 57 (1995) 289-300 (controls the false discovery rate for independent or
 * positively dependent tests). Adjusted values follow statsmodels' `multipletests`.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { requireProbability } from './summary';

/** Adjusted p-values and rejections, in the input order. */
export interface CorrectionResult {
  readonly adjusted: readonly number[];
  readonly rejected: readonly boolean[];
}

function check(pValues: readonly number[], alpha: number): void {
  requireProbability('alpha', alpha);
  pValues.forEach((p, i) => {
    if (!(p >= 0 && p <= 1)) {
      throw new InvalidArgumentError({
        field: `pValues[${i}]`,
        expected: 'a probability',
        received: String(p),
      });
    }
  });
}

function result(adjusted: number[], alpha: number): CorrectionResult {
  return { adjusted, rejected: adjusted.map((p) => p <= alpha) };
}

function ascendingOrder(pValues: readonly number[]): number[] {
  return pValues.map((_, i) => i).sort((a, b) => pValues[a] - pValues[b]);
}

/** Bonferroni: p·m, capped at 1. */
export function bonferroni(pValues: readonly number[], alpha = 0.05): CorrectionResult {
  check(pValues, alpha);
  return result(
    pValues.map((p) => Math.min(1, p * pValues.length)),
    alpha,
  );
}

/** Holm's step-down: the running maximum of (m - i)·p₍ᵢ₎ in ascending order, capped at 1. */
export function holm(pValues: readonly number[], alpha = 0.05): CorrectionResult {
  check(pValues, alpha);
  const m = pValues.length;
  const adjusted = new Array<number>(m);
  let running = 0;
  ascendingOrder(pValues).forEach((index, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * pValues[index]));
    adjusted[index] = running;
  });
  return result(adjusted, alpha);
}

/** Benjamini-Hochberg step-up: the running minimum from the top of p₍ᵢ₎·m/i, capped at 1. */
export function benjaminiHochberg(pValues: readonly number[], alpha = 0.05): CorrectionResult {
  check(pValues, alpha);
  const m = pValues.length;
  const order = ascendingOrder(pValues);
  const adjusted = new Array<number>(m);
  let running = 1;
  for (let rank = m - 1; rank >= 0; rank--) {
    const index = order[rank];
    running = Math.min(running, (pValues[index] * m) / (rank + 1));
    adjusted[index] = running;
  }
  return result(adjusted, alpha);
}
