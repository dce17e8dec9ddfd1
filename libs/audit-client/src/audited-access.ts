import { auditV1 } from '@verdict/proto';
import type { Authorizer, Principal } from '@verdict/security';
import type { AuditRecordInit, AuditSink } from './audit-sink';

/** Who acts, and the trace of the request, for authorization and audit records. */
export interface Actor {
  readonly principal: Principal;
  /** W3C trace id (hex), or '' outside a traced request. */
  readonly traceId: string;
}

/** Per-resource authorization that audits every denial, and the records of successful changes. */
export interface AuditedAccess {
  /**
   * Checks `permission` on a resource of `team`.
   * @throws PermissionDeniedError naming the permission (after recording an `authz.deny` record)
   */
  require(actor: Actor, permission: string, team: string, resource: string): void;
  /** True when allowed; records nothing (for filtering listings and watches). */
  allows(actor: Actor, permission: string, team: string): boolean;
  /** Records a successful change. Throws when memory and spool are full: the change must then fail. */
  record(actor: Actor, action: string, resource: string, details: Record<string, string>): void;
}

/** The access checks a service's domain code makes, over its authorizer and audit sink. */
export function createAuditedAccess(authorizer: Authorizer, audit: AuditSink): AuditedAccess {
  // record() throws when memory and spool are full; the caller's change then fails rather
  // than going unaudited.
  const emit = (init: AuditRecordInit) => void audit.record(init);
  return {
    require(actor, permission, team, resource) {
      try {
        authorizer.assertAllowed(actor.principal, permission, { team, name: resource });
      } catch (error) {
        emit({
          actor: actor.principal.id,
          action: 'authz.deny',
          resource,
          outcome: auditV1.Outcome.DENIED,
          traceId: actor.traceId,
          details: {
            permission,
            team,
            reason: error instanceof Error ? error.message : String(error),
          },
        });
        throw error;
      }
    },
    allows(actor, permission, team) {
      return authorizer.authorize(actor.principal, permission, { team }).allowed;
    },
    record(actor, action, resource, details) {
      emit({
        actor: actor.principal.id,
        action,
        resource,
        outcome: auditV1.Outcome.SUCCESS,
        traceId: actor.traceId,
        details,
      });
    },
  };
}
