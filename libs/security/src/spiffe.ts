import { InvalidArgumentError } from '@verdict/errors';

/** A parsed SPIFFE ID (https://github.com/spiffe/spiffe/blob/main/standards/SPIFFE-ID.md). */
export interface SpiffeId {
  /** The whole ID, e.g. `spiffe://verdict.local/ns/default/sa/router`. */
  readonly id: string;
  /** e.g. `verdict.local`. */
  readonly trustDomain: string;
  /** `''` for a trust domain's own ID, otherwise `/`-prefixed, e.g. `/ns/default/sa/router`. */
  readonly path: string;
  /** Set when the path has the Kubernetes form `/ns/<namespace>/sa/<service account>`. */
  readonly namespace?: string;
  /** Set when the path has the Kubernetes form `/ns/<namespace>/sa/<service account>`. */
  readonly serviceAccount?: string;
}

const SCHEME = 'spiffe://';
/** SPIFFE-ID.md section 2.3: URIs longer than this need not be supported. */
const MAX_ID_BYTES = 2048;
/** SPIFFE-ID.md section 2.1: trust domain names are at most 255 bytes. */
const MAX_TRUST_DOMAIN_BYTES = 255;
const TRUST_DOMAIN_CHARACTERS = /^[a-z0-9._-]+$/;
const SEGMENT_CHARACTERS = /^[A-Za-z0-9._-]+$/;
/** How much of a rejected value an error message repeats. */
const MAX_ECHOED_CHARACTERS = 120;

/**
 * Parses and validates a SPIFFE ID. The scheme must be lowercase `spiffe://`; the trust domain
 * lowercase letters, digits, `.`, `-`, `_`; path segments non-empty letters, digits, `.`, `-`,
 * `_` other than `.` and `..`; no trailing slash, query, fragment, port or user info.
 *
 * @param field - what the error names as the offending field, e.g. `bindings[0].principals[1]`
 * @throws InvalidArgumentError naming what is wrong
 */
export function parseSpiffeId(uri: string, field = 'SPIFFE ID'): SpiffeId {
  const fail = (expected: string, detail?: string): never => {
    const received = detail ? `${echo(uri)} (${detail})` : echo(uri);
    throw new InvalidArgumentError({ field, expected, received });
  };
  if (typeof uri !== 'string' || uri.length === 0) {
    return fail('a SPIFFE ID like spiffe://<trust domain>/<path>');
  }
  if (Buffer.byteLength(uri) > MAX_ID_BYTES) {
    return fail(`a SPIFFE ID of at most ${MAX_ID_BYTES} bytes`, `${Buffer.byteLength(uri)} bytes`);
  }
  if (!uri.startsWith(SCHEME)) {
    return fail(`a SPIFFE ID starting with '${SCHEME}'`);
  }
  const rest = uri.slice(SCHEME.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  const path = slash === -1 ? '' : rest.slice(slash);
  if (trustDomain.length === 0) {
    return fail('a SPIFFE ID with a trust domain', 'trust domain is empty');
  }
  if (!TRUST_DOMAIN_CHARACTERS.test(trustDomain)) {
    return fail(
      "a trust domain of lowercase letters, digits, '.', '-' and '_'",
      `trust domain ${echo(trustDomain)}`,
    );
  }
  if (trustDomain.length > MAX_TRUST_DOMAIN_BYTES) {
    return fail(`a trust domain of at most ${MAX_TRUST_DOMAIN_BYTES} characters`);
  }
  const segments = path === '' ? [] : path.slice(1).split('/');
  segments.forEach((segment, index) => {
    if (segment.length === 0) {
      fail(
        index === segments.length - 1
          ? 'a path without a trailing slash'
          : 'no empty path segments',
      );
    }
    if (segment === '.' || segment === '..') {
      fail("no '.' or '..' path segments");
    }
    if (!SEGMENT_CHARACTERS.test(segment)) {
      fail("path segments of letters, digits, '.', '-' and '_'", `segment ${echo(segment)}`);
    }
  });
  const kubernetes =
    segments.length === 4 && segments[0] === 'ns' && segments[2] === 'sa'
      ? { namespace: segments[1], serviceAccount: segments[3] }
      : {};
  return { id: uri, trustDomain, path, ...kubernetes };
}

/** The SPIFFE ID `spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>`, validated. */
export function serviceSpiffeId(
  trustDomain: string,
  namespace: string,
  serviceAccount: string,
): string {
  return parseSpiffeId(`${SCHEME}${trustDomain}/ns/${namespace}/sa/${serviceAccount}`).id;
}

/**
 * Validates a SPIFFE ID pattern as `matchSpiffeId` understands it: an exact ID, or an ID
 * followed by `/*` (e.g. `spiffe://verdict.local/ns/default/*`).
 *
 * @throws InvalidArgumentError naming what is wrong
 */
export function validateSpiffeIdPattern(pattern: string, field = 'SPIFFE ID pattern'): string {
  const prefix = pattern.endsWith('/*') ? pattern.slice(0, -2) : pattern;
  parseSpiffeId(prefix, field);
  return pattern;
}

/**
 * True when `id` matches `pattern`: the same ID, or, for a pattern ending in `/*`, any ID with
 * at least one more path segment below the pattern's prefix. `spiffe://td/ns/a/*` matches
 * `spiffe://td/ns/a/sa/x` but neither `spiffe://td/ns/a` nor `spiffe://td/ns/ab/sa/x`.
 */
export function matchSpiffeId(pattern: string, id: string): boolean {
  if (pattern.endsWith('/*')) {
    const prefix = pattern.slice(0, -1);
    return id.length > prefix.length && id.startsWith(prefix);
  }
  return pattern === id;
}

function echo(value: string): string {
  const shown =
    value.length > MAX_ECHOED_CHARACTERS ? `${value.slice(0, MAX_ECHOED_CHARACTERS)}...` : value;
  return JSON.stringify(shown);
}
