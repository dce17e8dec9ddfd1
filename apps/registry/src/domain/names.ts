import { InvalidArgumentError } from '@verdict/errors';

// DNS-label-like: lower-case letters, digits and '-', starting with a letter, not ending in '-'.
const LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Checks a model, alias or team name. @throws InvalidArgumentError naming the field */
export function checkLabel(field: string, value: string): string {
  if (!LABEL.test(value)) {
    throw new InvalidArgumentError({
      field,
      expected:
        "a DNS label: 1-63 lower-case letters, digits or '-', starting with a letter and not ending in '-'",
      received: JSON.stringify(value.slice(0, 80)),
    });
  }
  return value;
}

/** Checks a lower-case hex SHA-256. @throws InvalidArgumentError */
export function checkSha256(field: string, value: string): string {
  if (!SHA256_HEX.test(value)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a SHA-256 digest as 64 lower-case hex digits',
      received: JSON.stringify(value.slice(0, 80)),
    });
  }
  return value;
}

/** Fixed-width decimal, so numbers sort as store keys in numeric order. */
export function pad20(value: number | bigint): string {
  return value.toString().padStart(20, '0');
}

/** Page tokens are opaque to callers: the last key of the previous page, base64url. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** @throws InvalidArgumentError for a token this service did not issue */
export function decodePageToken(token: string, prefix: string): string | undefined {
  if (token === '') return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key.startsWith(prefix)) {
    throw new InvalidArgumentError({
      field: 'page_token',
      expected: 'a next_page_token from the previous page of the same listing',
      received: JSON.stringify(token.slice(0, 40)),
    });
  }
  return key;
}
