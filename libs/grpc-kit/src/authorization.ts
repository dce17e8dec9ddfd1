import { PermissionDeniedError, isVerdictError } from '@verdict/errors';
import { describePrincipal, type Principal } from '@verdict/security';
import type { ServerInterceptor } from './interceptors';
import type { RequestHeaders } from './types';

/** What an authorization hook decides on: one RPC by one caller. */
export interface AuthorizationRequest {
  /** Full method name, `/package.Service/Method`. */
  method: string;
  principal: Principal;
  headers: RequestHeaders;
}

/** Throws (PermissionDeniedError) to refuse the call; returns to allow it. */
export type Authorize = (request: AuthorizationRequest) => void | Promise<void>;

/** Reported for every refused call, so services can audit denials. */
export interface DenialEvent {
  method: string;
  principal: Principal;
  reason: string;
}

/** The RBAC evaluator's shape (`createAuthorizer` in @verdict/security). */
export interface PermissionEvaluator {
  authorize(
    principal: Principal,
    permission: string,
    resource?: { anyTeam?: boolean },
  ): { allowed: boolean; reason: string };
}

/**
 * Health and reflection answer any authenticated peer: probes and grpcurl need them, and they
 * reveal no data.
 */
export function isOpenMethod(method: string): boolean {
  return (
    method.startsWith('/grpc.health.v1.Health/') ||
    method.startsWith('/grpc.reflection.v1.ServerReflection/') ||
    method.startsWith('/grpc.reflection.v1alpha.ServerReflection/')
  );
}

/**
 * Per-RPC authorization from a method -> permission table. A method missing from the table is
 * refused (fail closed), so a new RPC cannot go out unprotected by accident. The gate runs
 * before the resource is known, so a team-scoped grant passes it for any team; services that own
 * team resources (registry, experiments) check the resource's team themselves.
 */
export function createMethodAuthorizer(options: {
  evaluator: PermissionEvaluator;
  /** Full method name -> permission the caller needs. */
  permissions: Readonly<Record<string, string>>;
}): Authorize {
  return ({ method, principal }) => {
    const permission = options.permissions[method];
    if (permission === undefined) {
      throw new PermissionDeniedError({
        principal: describePrincipal(principal),
        permission: '(none mapped)',
        resource: method,
        reason: 'no permission is mapped for this method, so it is closed',
      });
    }
    const decision = options.evaluator.authorize(principal, permission, { anyTeam: true });
    if (!decision.allowed) {
      throw new PermissionDeniedError({
        principal: describePrincipal(principal),
        permission,
        resource: method,
        reason: decision.reason,
      });
    }
  };
}

export function authorizationInterceptor(
  authorize: Authorize,
  onDenied?: (event: DenialEvent) => void,
): ServerInterceptor {
  return async (call, next) => {
    if (!isOpenMethod(call.path)) {
      try {
        await authorize({
          method: call.path,
          principal: call.principal,
          headers: call.context.requestHeaders,
        });
      } catch (error) {
        if (isVerdictError(error) && onDenied !== undefined) {
          onDenied({ method: call.path, principal: call.principal, reason: error.message });
        }
        throw error;
      }
    }
    return next();
  };
}
