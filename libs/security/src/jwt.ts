import type { JSONWebKeySet, JWTPayload } from 'jose';
import { InvalidArgumentError, UnauthenticatedError, UnavailableError } from '@verdict/errors';
import type { UserPrincipal } from './principal';

/** Asymmetric JWS algorithms; HMAC is excluded because a JWKS publishes public keys only. */
export const DEFAULT_JWT_ALGORITHMS: readonly string[] = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

/** Options of {@link createJwtVerifier}. */
export interface JwtVerifierOptions {
  /** The issuer's public keys: a JWKS document, or its URL (fetched and cached). */
  jwks: JSONWebKeySet | URL;
  /** The required `iss` claim. */
  issuer: string;
  /** The required `aud` claim (one of the token's audiences). */
  audience: string;
  /**
   * Name of the claim holding the user's groups (a list of strings, or a single string).
   * @default 'groups'
   */
  groupsClaim?: string;
  /**
   * Clock skew tolerated when checking `exp` and `nbf`, in seconds.
   * @default 30
   */
  clockToleranceSeconds?: number;
  /**
   * Accepted signature algorithms.
   * @default DEFAULT_JWT_ALGORITHMS (asymmetric only)
   */
  algorithms?: readonly string[];
  /**
   * Tokens longer than this are refused before any parsing.
   * @default 16384
   */
  maxTokenLength?: number;
  /**
   * Timeout of a JWKS fetch, in milliseconds (URL only).
   * @default 5000
   */
  jwksTimeoutMs?: number;
  /**
   * Minimum time between two JWKS fetches (a token with an unknown key id triggers one), in
   * milliseconds (URL only).
   * @default 30000
   */
  jwksCooldownMs?: number;
  /**
   * Maximum age of the cached JWKS before it is fetched again, in milliseconds (URL only).
   * @default 600000
   */
  jwksCacheMaxAgeMs?: number;
}

/** Verifies bearer tokens of one issuer and audience. */
export interface JwtVerifier {
  /**
   * Verifies signature, issuer, audience, `exp` and `nbf` (both required / checked), and
   * requires a `sub`. Returns the user principal.
   *
   * @throws UnauthenticatedError saying why the token was refused (never echoing it)
   * @throws UnavailableError when the JWKS URL cannot be fetched
   */
  verify(token: string): Promise<UserPrincipal>;
}

function withDefaults(options: JwtVerifierOptions) {
  return {
    jwks: options.jwks,
    issuer: options.issuer,
    audience: options.audience,
    groupsClaim: options.groupsClaim ?? 'groups',
    clockToleranceSeconds: options.clockToleranceSeconds ?? 30,
    algorithms: [...(options.algorithms ?? DEFAULT_JWT_ALGORITHMS)],
    maxTokenLength: options.maxTokenLength ?? 16384,
    jwksTimeoutMs: options.jwksTimeoutMs ?? 5000,
    jwksCooldownMs: options.jwksCooldownMs ?? 30000,
    jwksCacheMaxAgeMs: options.jwksCacheMaxAgeMs ?? 600000,
  };
}

/**
 * Creates a verifier of JWT bearer tokens against a JWKS (jose). Tokens must carry `sub` and
 * `exp`: a token that never expires is refused.
 *
 * @throws InvalidArgumentError when a JWKS document is given and is not a valid JWKS
 */
export function createJwtVerifier(options: JwtVerifierOptions): JwtVerifier {
  const settings = withDefaults(options);
  const { jwtVerify } = joseLibrary();
  const keys = keySet(settings);
  return {
    async verify(token) {
      if (typeof token !== 'string' || token.length === 0) {
        throw new UnauthenticatedError('no bearer token');
      }
      if (token.length > settings.maxTokenLength) {
        throw new UnauthenticatedError(
          `bearer token is ${token.length} characters long; at most ${settings.maxTokenLength} are accepted`,
        );
      }
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, keys, {
          issuer: settings.issuer,
          audience: settings.audience,
          algorithms: settings.algorithms,
          clockTolerance: settings.clockToleranceSeconds,
          requiredClaims: ['sub', 'exp'],
        }));
      } catch (error) {
        throw explain(error, token, settings);
      }
      return {
        kind: 'user',
        id: payload.sub as string,
        issuer: payload.iss as string,
        groups: groupsOf(payload, settings.groupsClaim),
      };
    },
  };
}

type Jose = typeof import('jose');
let jose: Jose | undefined;

/**
 * jose, loaded when the first verifier is made rather than when this library is imported: a
 * service without JWT authentication never needs it, nor the memory it takes
 * (docs/decisions.md#measured-costs-behind-code-choices).
 */
function joseLibrary(): Jose {
  // A lazy load has to be a require here: this package is CommonJS, and jest runs it without
  // native import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  jose ??= require('jose') as Jose;
  return jose;
}

function keySet(settings: ReturnType<typeof withDefaults>) {
  const { createLocalJWKSet, createRemoteJWKSet } = joseLibrary();
  if (settings.jwks instanceof URL) {
    return createRemoteJWKSet(settings.jwks, {
      timeoutDuration: settings.jwksTimeoutMs,
      cooldownDuration: settings.jwksCooldownMs,
      cacheMaxAge: settings.jwksCacheMaxAgeMs,
    });
  }
  try {
    return createLocalJWKSet(settings.jwks);
  } catch (error) {
    throw new InvalidArgumentError({
      field: 'jwks',
      expected: 'a JSON Web Key Set ({ keys: [...] })',
      received: error instanceof Error ? error.message : String(error),
    });
  }
}

function groupsOf(payload: JWTPayload, claim: string): string[] {
  const value = payload[claim];
  if (value === undefined) {
    return [];
  }
  if (typeof value === 'string') {
    return [value];
  }
  if (Array.isArray(value) && value.every((group) => typeof group === 'string')) {
    return value;
  }
  throw new UnauthenticatedError(`token claim '${claim}' must be a list of group names`);
}

/** Turns a jose failure into an error that says why, without the token itself. */
function explain(
  error: unknown,
  token: string,
  settings: ReturnType<typeof withDefaults>,
): UnauthenticatedError | UnavailableError {
  const { errors } = joseLibrary();
  const because = (message: string) => new UnauthenticatedError(message, { cause: error });
  if (error instanceof errors.JWTExpired) {
    return because(`token expired at ${timestamp(error.payload.exp)}`);
  }
  if (error instanceof errors.JWTClaimValidationFailed) {
    const { claim, reason, payload } = error;
    if (reason === 'missing') {
      return because(`token has no '${claim}' claim`);
    }
    if (claim === 'nbf') {
      return because(`token not yet valid: it is valid from ${timestamp(payload.nbf)}`);
    }
    if (claim === 'iss') {
      return because(`token issuer ${quote(payload.iss)} is not the expected '${settings.issuer}'`);
    }
    if (claim === 'aud') {
      return because(
        `token audience ${quote(payload.aud)} does not include '${settings.audience}'`,
      );
    }
    return because(`token claim '${claim}' is invalid (${reason})`);
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return because("token signature does not verify with the issuer's keys");
  }
  if (error instanceof errors.JWKSNoMatchingKey) {
    const header = safeHeader(token);
    return because(
      `no key in the issuer's JWKS matches the token (kid ${quote(header.kid)}, alg ${quote(header.alg)})`,
    );
  }
  if (error instanceof errors.JOSEAlgNotAllowed) {
    return because(
      `token algorithm ${quote(safeHeader(token).alg)} is not allowed (allowed: ${settings.algorithms.join(', ')})`,
    );
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid) {
    return new UnavailableError(`the issuer's JWKS could not be fetched: ${error.message}`, {
      cause: error,
    });
  }
  if (
    error instanceof errors.JWTInvalid ||
    error instanceof errors.JWSInvalid ||
    error instanceof errors.JOSENotSupported
  ) {
    return because(`malformed token: ${error.message}`);
  }
  // A failed fetch surfaces as a plain (network) error or jose's generic error (a non-200).
  const fetchFailed = !(error instanceof errors.JOSEError) || error.code === errors.JOSEError.code;
  if (fetchFailed && settings.jwks instanceof URL) {
    return new UnavailableError(`the issuer's JWKS at ${settings.jwks.href} could not be fetched`, {
      cause: error,
    });
  }
  return because(`token refused: ${error instanceof Error ? error.message : String(error)}`);
}

function safeHeader(token: string): { kid?: string; alg?: string } {
  try {
    return joseLibrary().decodeProtectedHeader(token);
  } catch {
    return {};
  }
}

function timestamp(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : 'an unknown time';
}

/** Claims are not secret, but they are the caller's text: quote them and bound the length. */
function quote(value: unknown): string {
  if (value === undefined) {
    return 'none';
  }
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 100 ? `${text.slice(0, 100)}...` : text;
}

/**
 * The token of an `authorization: Bearer <token>` header value (scheme case-insensitive), or
 * `undefined` when there is no header.
 *
 * @throws UnauthenticatedError when the header is present but not a bearer token
 */
export function bearerToken(authorization: string | undefined): string | undefined {
  if (authorization === undefined || authorization.trim() === '') {
    return undefined;
  }
  const match = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i.exec(authorization);
  if (match === null) {
    throw new UnauthenticatedError("authorization header must have the form 'Bearer <token>'");
  }
  return match[1];
}
