import { InvalidArgumentError } from '@verdict/errors';

/**
 * Argument checks shared by the backends, so both reject the same inputs with the same
 * messages, before anything is changed.
 */

// A lone surrogate has no UTF-8 encoding, so it could not be stored byte-exactly (nor ordered).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** True when the string has no lone surrogate (String.prototype.isWellFormed, before ES2024). */
export function isWellFormed(value: string): boolean {
  return !LONE_SURROGATE.test(value);
}

/** A key, set, member, channel, stream or consumer name: a non-empty, well-formed string. */
export function checkName(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0 || !isWellFormed(value)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a non-empty string of well-formed Unicode',
      received: describe(value),
    });
  }
  return value;
}

/** A key prefix or paging cursor: any well-formed string, the empty one included. */
export function checkText(value: unknown, field: string): string {
  if (typeof value !== 'string' || !isWellFormed(value)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a string of well-formed Unicode',
      received: describe(value),
    });
  }
  return value;
}

/** Bytes to store or send. */
export function checkBytes(value: unknown, field: string): Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new InvalidArgumentError({ field, expected: 'a Uint8Array', received: describe(value) });
  }
  return value;
}

/** An expected version: absent, or a non-negative integer (0 meaning "must not exist"). */
export function checkExpectedVersion(value: unknown, field: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError({
      field,
      expected: 'a non-negative integer version (0: must not exist)',
      received: describe(value),
    });
  }
  return value;
}

/** A page size: absent, or a positive integer. */
export function checkLimit(value: unknown, field: string): number | undefined {
  if (value === undefined) {
    return undefined;
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new InvalidArgumentError({
      field,
      expected: 'a positive integer',
      received: describe(value),
    });
  }
  return value;
}

/** An integer counter delta. */
export function checkIntegerDelta(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a safe integer',
      received: describe(value),
    });
  }
  return value;
}

/** A float delta or a score: a finite number. */
export function checkFinite(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a finite number',
      received: describe(value),
    });
  }
  return value;
}

/** A range bound: absent, or a number that is not NaN (infinities allowed). */
export function checkBound(value: unknown, field: string, fallback: number): number {
  if (value === undefined) {
    return fallback;
  }
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new InvalidArgumentError({ field, expected: 'a number', received: describe(value) });
  }
  return value;
}

/** A function argument. */
export function checkFunction<T>(value: T, field: string): T {
  if (typeof value !== 'function') {
    throw new InvalidArgumentError({ field, expected: 'a function', received: describe(value) });
  }
  return value;
}

/** How a rejected value is shown in an error message: short, never the whole payload. */
export function describe(value: unknown): string {
  if (typeof value === 'string') {
    return value.length === 0
      ? 'an empty string'
      : JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  }
  if (value === null || value === undefined) {
    return String(value);
  }
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') {
    return String(value);
  }
  if (typeof value === 'function') {
    return 'a function';
  }
  const name = (value as object).constructor?.name;
  return name ? `a ${name}` : 'an object';
}
