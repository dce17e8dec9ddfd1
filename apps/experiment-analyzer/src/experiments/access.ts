import {
  createAuditedAccess,
  type Actor,
  type AuditedAccess,
  type AuditSink,
} from '@verdict/audit-client';
import { InvalidArgumentError } from '@verdict/errors';
import { bindingMatch, grantCovers, type Authorizer } from '@verdict/security';

export type { Actor };

/** Team of an experiment whose creator holds `experiment:write` for every team. */
export const DEFAULT_TEAM = 'default';

/** The shared audited access (require, allows, record), plus the team a new experiment falls to. */
export interface Access extends AuditedAccess {
  /**
   * The team a new experiment belongs to when its definition names none: the one team the
   * caller's `experiment:write` grants are scoped to, or {@link DEFAULT_TEAM} when a grant is
   * not scoped to teams.
   * @throws InvalidArgumentError naming `experiment.team` when the caller's grants name several teams
   */
  teamOf(actor: Actor): string;
}

/** Creates the analyzer's access checks over an authorizer and an audit sink. */
export function createAccess(authorizer: Authorizer, audit: AuditSink): Access {
  return {
    ...createAuditedAccess(authorizer, audit),
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
  };
}
