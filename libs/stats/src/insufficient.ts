/**
 * The answer of a test that cannot estimate what it was asked: an empty arm, too few units, a
 * variance of zero, a relative effect over a control mean indistinguishable from 0. It carries no
 * numbers at all, so nothing downstream can mistake it for a result and act on it.
 *
 * Malformed input (successes above n, a negative count, NaN) is not "insufficient data": it is
 * refused with an {@link InvalidArgumentError} instead.
 */

import { InvalidArgumentError } from '@verdict/errors';

/** Fewest units per arm any comparison accepts: a variance needs two observations. */
export const MIN_UNITS_PER_ARM = 2;

/** A comparison that was refused because the data cannot support it. */
export interface InsufficientData {
  readonly status: 'insufficient data';
  /** The input field whose value makes the estimate impossible, e.g. `treatment.n`. */
  readonly field: string;
  /** Why, in words a person can act on. */
  readonly reason: string;
}

/** Builds an {@link InsufficientData} answer. */
export function insufficient(field: string, reason: string): InsufficientData {
  return { status: 'insufficient data', field, reason };
}

/** True for an {@link InsufficientData} answer. */
export function isInsufficient(value: unknown): value is InsufficientData {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { status?: unknown }).status === 'insufficient data'
  );
}

/** Refuses an arm with fewer than {@link MIN_UNITS_PER_ARM} units (an empty arm included). */
export function tooFewUnits(
  field: string,
  n: number,
  min = MIN_UNITS_PER_ARM,
): InsufficientData | undefined {
  if (n >= min) return undefined;
  return insufficient(
    `${field}.n`,
    n === 0 ? `${field} has no units` : `${field} has ${n} unit(s); at least ${min} are needed`,
  );
}

/**
 * The estimate itself, for callers that cannot go on without one: an {@link InsufficientData}
 * answer becomes an {@link InvalidArgumentError} naming the field and the reason.
 */
export function estimated<T>(result: T | InsufficientData): T {
  if (!isInsufficient(result)) return result;
  throw new InvalidArgumentError({
    field: result.field,
    expected: 'data enough to estimate',
    received: `insufficient data (${result.reason})`,
  });
}
