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
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

export function createAccessCheck(tokens: readonly string[]): AccessCheck {
  // Digests compare in constant time whatever the lengths of the strings.
  const digests = tokens.map(digest);
  return {
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
      const offered = digest(match[1]);
      // Every token is compared, so the time taken does not tell which one nearly matched.
      let ok = false;
      for (const known of digests) ok = timingSafeEqual(known, offered) || ok;
      return ok
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
