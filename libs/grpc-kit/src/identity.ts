import { TLSSocket } from 'node:tls';
import { UnauthenticatedError } from '@verdict/errors';
import {
  bearerToken,
  parseForwardedClientCert,
  servicePrincipal,
  spiffeIdFromCertificate,
  type Principal,
} from '@verdict/security';
import type { CallState, ServerSurfaceCall } from './call-state';
import type { ServerInterceptor } from './interceptors';

/** Verifies a bearer token into a user principal (see `createJwtVerifier` in @verdict/security). */
export interface TokenVerifier {
  verify(token: string): Promise<Principal>;
}

/** How the server learns who the caller is. */
export interface AuthenticationOptions {
  /**
   * `mtls`: the peer's client certificate (the TLS handshake already proved it). `mesh`: the
   * sidecar's `x-forwarded-client-cert` header, trusted only in this mode because the sidecar
   * terminates mutual TLS and strips the header from outside traffic.
   */
  mode: 'mtls' | 'mesh';
  /** Verifies `authorization: Bearer` tokens; without it such tokens are refused. */
  tokenVerifier?: TokenVerifier;
}

/** Resolves the caller's principal: a bearer token's user if one is sent, else the peer's SPIFFE id. */
export async function resolvePrincipal(
  call: CallState,
  options: AuthenticationOptions,
): Promise<Principal> {
  const token = bearerToken(call.context.requestHeaders.get('authorization'));
  if (token !== undefined) {
    if (options.tokenVerifier === undefined) {
      throw new UnauthenticatedError(
        'authorization: bearer tokens are not accepted by this service; authenticate with a client certificate',
      );
    }
    return options.tokenVerifier.verify(token);
  }
  const spiffeId = options.mode === 'mtls' ? peerSpiffeId(call) : forwardedSpiffeId(call);
  return servicePrincipal(spiffeId);
}

/**
 * SPIFFE ids of recently seen client certificates by SHA-256 fingerprint. Parsing a certificate
 * on every call cost more CPU than the rest of the call together
 * (docs/decisions.md#measured-costs-behind-code-choices); a peer presents the same certificate
 * on every call of its connection. Only certificates that
 * passed the handshake get here, and the fingerprint covers the whole certificate.
 */
const PEER_ID_CACHE_SIZE = 1024;
const peerIds = new Map<string, string>();

/**
 * SPIFFE ids by connection. Even reading the certificate (getPeerCertificate builds an object
 * with three fingerprints on every call) was the largest single cost left in a model server's
 * call. A connection's certificate cannot change: Node's HTTP/2 turns TLS renegotiation off on
 * every socket it serves. The entry goes when the socket does.
 */
const connectionIds = new WeakMap<TLSSocket, string>();

function peerSpiffeId(call: CallState): string {
  const socket = tlsSocketOf(call.call);
  const known = socket === undefined ? undefined : connectionIds.get(socket);
  if (known !== undefined) return known;
  const certificate = call.call.getAuthContext().sslPeerCertificate;
  if (certificate === undefined || certificate.raw === undefined) {
    throw new UnauthenticatedError('no client certificate was presented');
  }
  let id = peerIds.get(certificate.fingerprint256);
  if (id === undefined) {
    id = spiffeIdFromCertificate(certificate.raw);
    if (id === undefined) {
      throw new UnauthenticatedError('the client certificate carries no spiffe:// URI SAN');
    }
    if (peerIds.size >= PEER_ID_CACHE_SIZE) peerIds.delete(peerIds.keys().next().value as string);
    peerIds.set(certificate.fingerprint256, id);
  }
  if (socket !== undefined) connectionIds.set(socket, id);
  return id;
}

/** What {@link tlsSocketOf} reads of grpc-js's internal call objects. */
interface InternalCall {
  stream?: { session?: { socket?: unknown } };
  nextCall?: InternalCall;
}

/**
 * The TLS socket a call arrived on, or undefined. grpc-js (1.14) keeps it at
 * `call.call(.nextCall)*.stream.session.socket`, which is not public API: should that change,
 * this finds nothing and every call reads its certificate through getAuthContext again.
 */
function tlsSocketOf(call: ServerSurfaceCall): TLSSocket | undefined {
  let at = (call as unknown as { call?: InternalCall }).call;
  for (let hop = 0; hop < 8 && at !== undefined; hop++) {
    const socket = at.stream?.session?.socket;
    if (socket instanceof TLSSocket) return socket;
    at = at.nextCall;
  }
  return undefined;
}

function forwardedSpiffeId(call: CallState): string {
  const header = call.context.requestHeaders.get('x-forwarded-client-cert');
  const id = header === undefined ? undefined : parseForwardedClientCert(header);
  if (id === undefined) {
    throw new UnauthenticatedError(
      'x-forwarded-client-cert: expected the mesh sidecar to forward the client SPIFFE id, got none',
    );
  }
  return id;
}

export function authenticationInterceptor(options: AuthenticationOptions): ServerInterceptor {
  return async (call, next) => {
    call.principal = await resolvePrincipal(call, options);
    return next();
  };
}
