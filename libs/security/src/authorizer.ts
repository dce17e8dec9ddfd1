import { PermissionDeniedError } from '@verdict/errors';
import { grantCovers } from './permissions';
import type { Policy, PolicyBinding } from './policy';
import { describePrincipal, type Principal } from './principal';
import { matchSpiffeId } from './spiffe';

/** What an operation acts on, as far as authorization cares. */
export interface ResourceRef {
  /** The owning team; team-scoped bindings apply only when it is one of theirs. */
  readonly team?: string;
  /** For messages and audit, e.g. a model name. */
  readonly name?: string;
  /**
   * Asks whether the principal holds the permission for any team at all: a team-scoped grant
   * counts whichever team it names. The per-RPC gate uses this, before the resource is known;
   * the service then checks the resource's own team.
   */
  readonly anyTeam?: boolean;
}

/** The outcome of one authorization check. */
export interface Decision {
  readonly allowed: boolean;
  /** The roles that grant the permission here (empty when denied). */
  readonly roles: readonly string[];
  /** Which binding allowed it, or why none did; fit for an error message and an audit record. */
  readonly reason: string;
}

/** Evaluates one policy. */
export interface Authorizer {
  readonly policy: Policy;
  /** Decides whether `principal` holds `permission` on `resource`. Never throws. */
  authorize(principal: Principal, permission: string, resource?: ResourceRef): Decision;
  /**
   * Like `authorize`, but throws when denied.
   * @throws PermissionDeniedError naming the principal, the permission, the resource and why
   */
  assertAllowed(principal: Principal, permission: string, resource?: ResourceRef): Decision;
}

/**
 * Creates an authorizer for a policy. A binding applies to a principal when one of its
 * `principals` patterns matches a service's SPIFFE ID, or its `subjects` holds a user's subject,
 * or its `groups` shares a group with the user. A binding with `teams` applies only to resources
 * whose team is listed, so it never covers a request without a resource team.
 */
export function createAuthorizer(policy: Policy): Authorizer {
  const authorize = (
    principal: Principal,
    permission: string,
    resource?: ResourceRef,
  ): Decision => {
    const granted = new Set<string>();
    let firstGrant: string | undefined;
    const wrongTeam: string[] = [];
    const lacking: string[] = [];
    policy.bindings.forEach((binding, index) => {
      const matchedBy = bindingMatch(binding, principal);
      if (matchedBy === undefined) {
        return;
      }
      const label = `bindings[${index}] (${matchedBy})`;
      const roles = binding.roles.filter((role) =>
        (policy.roles[role] ?? []).some((grant) => grantCovers(grant, permission)),
      );
      if (roles.length === 0) {
        lacking.push(
          `${label} grants roles ${binding.roles.join(', ')}, none of which includes it`,
        );
        return;
      }
      if (
        binding.teams !== undefined &&
        resource?.anyTeam !== true &&
        !binding.teams.includes(resource?.team ?? '')
      ) {
        wrongTeam.push(`${label} grants it only for team ${binding.teams.join(', ')}`);
        return;
      }
      roles.forEach((role) => granted.add(role));
      firstGrant ??= `${label} with role ${roles.join(', ')}${
        binding.teams ? ` for team ${binding.teams.join(', ')}` : ''
      }`;
    });
    if (firstGrant !== undefined) {
      return {
        allowed: true,
        roles: [...granted],
        reason: `allowed by ${policy.source} ${firstGrant}`,
      };
    }
    return {
      allowed: false,
      roles: [],
      reason: denialReason(policy, resource, wrongTeam, lacking),
    };
  };
  return {
    policy,
    authorize,
    assertAllowed(principal, permission, resource) {
      const decision = authorize(principal, permission, resource);
      if (!decision.allowed) {
        throw new PermissionDeniedError({
          principal: describePrincipal(principal),
          permission,
          resource: describeResource(resource),
          reason: decision.reason,
        });
      }
      return decision;
    },
  };
}

/**
 * How a binding names the principal (`principal <pattern>`, `subject <id>` or `group <name>`),
 * or `undefined` when it does not.
 */
export function bindingMatch(binding: PolicyBinding, principal: Principal): string | undefined {
  if (principal.kind === 'service') {
    const pattern = binding.principals.find((candidate) => matchSpiffeId(candidate, principal.id));
    return pattern === undefined ? undefined : `principal ${pattern}`;
  }
  if (binding.subjects.includes(principal.id)) {
    return `subject ${principal.id}`;
  }
  const group = binding.groups.find((candidate) => principal.groups.includes(candidate));
  return group === undefined ? undefined : `group ${group}`;
}

function denialReason(
  policy: Policy,
  resource: ResourceRef | undefined,
  wrongTeam: readonly string[],
  lacking: readonly string[],
): string {
  if (wrongTeam.length > 0) {
    const owner =
      resource?.team === undefined
        ? 'the resource has no team'
        : `the resource belongs to team ${resource.team}`;
    return `${wrongTeam.join('; ')}; ${owner}`;
  }
  if (lacking.length > 0) {
    return lacking.join('; ');
  }
  return `no binding in ${policy.source} names this principal`;
}

function describeResource(resource: ResourceRef | undefined): string | undefined {
  if (resource?.name !== undefined) {
    return resource.team === undefined ? resource.name : `${resource.name} (team ${resource.team})`;
  }
  return resource?.team === undefined ? undefined : `a resource of team ${resource.team}`;
}
