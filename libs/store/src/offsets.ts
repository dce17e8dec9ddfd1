import { InvalidArgumentError } from '@verdict/errors';

/** Digits in a stream offset: enough for any unsigned 64-bit sequence number. */
const OFFSET_DIGITS = 20;
const OFFSET_PATTERN = /^[0-9]{20}$/;

/** Formats a stream sequence number (1 for the first entry) as an offset. */
export function formatOffset(sequence: number | bigint): string {
  return sequence.toString().padStart(OFFSET_DIGITS, '0');
}

/**
 * Parses an offset given by a caller; `field` names the argument in the error.
 * @returns the sequence number as a decimal string without leading zeros.
 */
export function parseOffset(offset: unknown, field: string): string {
  if (typeof offset !== 'string' || !OFFSET_PATTERN.test(offset)) {
    throw new InvalidArgumentError({
      field,
      expected: `a stream offset (${OFFSET_DIGITS} decimal digits, as returned by append)`,
      received: describeValue(offset),
    });
  }
  return BigInt(offset).toString();
}

function describeValue(value: unknown): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}
