import type { AuditRecordInit, AuditSink } from '@verdict/audit-client';
import { InvalidArgumentError } from '@verdict/errors';
import { auditV1 } from '@verdict/proto';
import { bindingMatch, grantCovers, type Authorizer, type Principal } from '@verdict/security';

/** Who acts, and the trace of the request, for authorization and audit records. */
export interface Actor {
  readonly principal: Principal;
  /** W3C trace id (hex), or '' outside a traced request. */
  readonly traceId: string;
}

/** Team of an experiment whose creator holds `experiment:write` for every team. */
export const DEFAULT_TEAM = 'default';

/** Per-team authorization that audits every denial and every change. */
export interface Access {
  /**
   * Checks `permission` on a resource of `team`.
   * @throws PermissionDeniedError naming the permission (after recording an `authz.deny` record)
   */
  require(actor: Actor, permission: string, team: string, resource: string): void;
  /** True when allowed; records nothing (for filtering listings). */
  allows(actor: Actor, permission: string, team: string): boolean;
  /**
   * The team a new experiment belongs to when its definition names none: the one team the
   * caller's `experiment:write` grants are scoped to, or {@link DEFAULT_TEAM} when a grant is
   * not scoped to teams.
   * @throws InvalidArgumentError naming `experiment.team` when the caller's grants name several teams
   */
  teamOf(actor: Actor): string;
  /** Records a successful change. Throws when memory and spool are full: the change must then fail. */
  record(actor: Actor, action: string, resource: string, details: Record<string, string>): void;
}

/** Creates the analyzer's access checks over an authorizer and an audit sink. */
export function createAccess(authorizer: Authorizer, audit: AuditSink): Access {
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
    teamOf(actor) {
      const { policy } = authorizer;
      const teams = new Set<string>();
      for (const binding of policy.bindings) {
        if (bindingMatch(binding, actor.principal) === undefined) continue;
        const grants = binding.roles.flatMap((role) => policy.roles[role] ?? []);
        if (!grants.some((grant) => grantCovers(grant, 'experiment:write'))) continue;
        if (binding.teams === undefined) return DEFAULT_TEAM;
        binding.teams.forEach((team) => teams.add(team));
      }
      if (teams.size === 1) return [...teams][0]!;
      throw new InvalidArgumentError({
        field: 'experiment.team',
        expected: 'a team, since the caller may write experiments of several teams',
        received: teams.size === 0 ? 'none' : `none (caller's teams: ${[...teams].join(', ')})`,
      });
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
