import { UnauthenticatedError, isVerdictError } from '@verdict/errors';
import { parseSpiffeId } from './spiffe';

/** A workload identified by the SPIFFE ID of its mTLS certificate (or the mesh's XFCC header). */
export interface ServicePrincipal {
  readonly kind: 'service';
  /** The SPIFFE ID, e.g. `spiffe://verdict.local/ns/default/sa/router`. */
  readonly id: string;
  readonly trustDomain: string;
  /** Set for IDs of the form `/ns/<namespace>/sa/<service account>`. */
  readonly namespace?: string;
  /** Set for IDs of the form `/ns/<namespace>/sa/<service account>`. */
  readonly serviceAccount?: string;
}

/** A person or CI job identified by a verified JWT. */
export interface UserPrincipal {
  readonly kind: 'user';
  /** The token's `sub` claim. */
  readonly id: string;
  /** The token's `iss` claim. */
  readonly issuer: string;
  /** The groups claim, `[]` when the token has none. */
  readonly groups: readonly string[];
}

/** Who is calling. Authorization sees this, never the transport that established it. */
export type Principal = ServicePrincipal | UserPrincipal;

/**
 * The service principal for a peer's SPIFFE ID.
 *
 * @throws UnauthenticatedError when the ID is not a valid SPIFFE ID: a peer that presents one
 *   has not authenticated
 */
export function servicePrincipal(spiffeId: string): ServicePrincipal {
  let parsed;
  try {
    parsed = parseSpiffeId(spiffeId, 'peer SPIFFE ID');
  } catch (error) {
    throw new UnauthenticatedError(isVerdictError(error) ? error.message : String(error), {
      cause: error,
    });
  }
  return {
    kind: 'service',
    id: parsed.id,
    trustDomain: parsed.trustDomain,
    ...(parsed.namespace === undefined
      ? {}
      : { namespace: parsed.namespace, serviceAccount: parsed.serviceAccount }),
  };
}

/** How error messages and audit records name a principal. */
export function describePrincipal(principal: Principal): string {
  if (principal.kind === 'service') {
    return principal.id;
  }
  const groups = principal.groups.length > 0 ? `, groups ${principal.groups.join(', ')}` : '';
  return `user '${principal.id}' (issuer ${principal.issuer}${groups})`;
}
