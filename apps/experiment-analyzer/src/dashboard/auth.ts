/**
 * Who may read the dashboard: a client whose certificate the server's CA verified (mTLS), or a
 * request carrying one of the configured bearer tokens. Anything else is 401.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import { spiffeIdFromCertificate } from '@verdict/security';

/** How a request got in, for the log. */
export type Access =
  | { readonly granted: true; readonly principal: string }
  | { readonly granted: false; readonly reason: string };

/** Checks requests against a fixed set of tokens and, on TLS sockets, the client certificate. */
export interface AccessCheck {
  check(request: IncomingMessage): Access;
  /** True when `token` is one of the configured tokens (for the `?token=` sign-in link). */
  accepts(token: string): boolean;
}

/** Cookie that carries a token after a person opened the `?token=` link in a browser. */
export const TOKEN_COOKIE = 'verdict_dashboard_token';

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function createAccessCheck(tokens: readonly string[]): AccessCheck {
  // Digests compare in constant time whatever the lengths of the strings.
  const digests = tokens.map(digest);
  const known = (token: string) => {
    const offered = digest(token);
    // Every token is compared, so the time taken does not tell which one nearly matched.
    let ok = false;
    for (const candidate of digests) ok = timingSafeEqual(candidate, offered) || ok;
    return ok;
  };
  return {
    accepts: known,
    check(request) {
      const socket = request.socket as Partial<TLSSocket>;
      if (socket.encrypted === true && socket.authorized === true) {
        const certificate = socket.getPeerCertificate?.();
        let principal = 'client certificate';
        if (certificate?.raw !== undefined) {
          try {
            principal =
              spiffeIdFromCertificate(certificate.raw) ??
              String(certificate.subject?.CN ?? principal);
          } catch {
            // A verified certificate without a readable SPIFFE id still proves possession.
          }
        }
        return { granted: true, principal };
      }
      const header = request.headers.authorization;
      const cookie = header === undefined ? cookieToken(request.headers.cookie) : undefined;
      if (cookie === MALFORMED) {
        return {
          granted: false,
          reason: `the ${TOKEN_COOKIE} cookie is not valid percent-encoding; open the ?token= link again`,
        };
      }
      if (cookie !== undefined) {
        return known(cookie)
          ? { granted: true, principal: 'bearer token (cookie)' }
          : { granted: false, reason: 'unknown token in the sign-in cookie' };
      }
      if (header === undefined) {
        return {
          granted: false,
          reason:
            presentedCertificate(socket) && socket.authorizationError !== undefined
              ? `client certificate rejected (${String(socket.authorizationError)})`
              : 'no client certificate and no Authorization header',
        };
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match === null)
        return { granted: false, reason: 'Authorization is not "Bearer <token>"' };
      return known(match[1])
        ? { granted: true, principal: 'bearer token' }
        : { granted: false, reason: 'unknown token' };
    },
  };
}

/** True when the peer sent a certificate (Node reports an empty object when it sent none). */
function presentedCertificate(socket: Partial<TLSSocket>): boolean {
  if (socket.encrypted !== true || socket.getPeerCertificate === undefined) return false;
  return socket.getPeerCertificate().raw !== undefined;
}

/** Marks a sign-in cookie whose value cannot be decoded. */
const MALFORMED = Symbol('malformed cookie');

/**
 * The token of the sign-in cookie, if the Cookie header carries one. The header is the
 * client's: a value that is not valid percent-encoding is {@link MALFORMED}, never a throw.
 */
function cookieToken(header: string | undefined): string | typeof MALFORMED | undefined {
  for (const part of (header ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name !== TOKEN_COOKIE) continue;
    try {
      return decodeURIComponent(value.join('='));
    } catch {
      return MALFORMED;
    }
  }
  return undefined;
}
