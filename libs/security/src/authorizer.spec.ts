import { PermissionDeniedError } from '@verdict/errors';
import { createAuthorizer } from './authorizer';
import { parsePolicy } from './policy';
import { servicePrincipal, type UserPrincipal } from './principal';

const POLICY = parsePolicy(
  `roles:
  model-reader: [model:read]
  deployer: [model:read, model:deploy]
  production-deployer: [model:deploy:production]
  model-owner: ['model:*']
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/model-server']
    roles: [model-reader]
  - principals: ['spiffe://verdict.local/ns/batch/*']
    roles: [model-reader]
  - groups: [ml-team-a]
    roles: [deployer]
    teams: [team-a]
  - groups: [ml-leads]
    roles: [model-owner]
    teams: [team-a, team-b]
  - subjects: [ci-bot]
    roles: [admin]
`,
  'test-policy.yaml',
);

const authorizer = createAuthorizer(POLICY);
const user = (id: string, groups: string[] = []): UserPrincipal => ({
  kind: 'user',
  id,
  issuer: 'https://idp.example',
  groups,
});
const modelServer = servicePrincipal('spiffe://verdict.local/ns/default/sa/model-server');
const router = servicePrincipal('spiffe://verdict.local/ns/default/sa/router');
const alice = user('alice', ['ml-team-a']);

describe('createAuthorizer', () => {
  it('lets a service principal do what its role grants, and nothing else', () => {
    expect(authorizer.authorize(modelServer, 'model:read')).toEqual({
      allowed: true,
      roles: ['model-reader'],
      reason:
        'allowed by test-policy.yaml bindings[0] (principal spiffe://verdict.local/ns/default/sa/model-server) with role model-reader',
    });
    const denied = authorizer.authorize(modelServer, 'model:deploy');
    expect(denied.allowed).toBe(false);
    expect(denied.roles).toEqual([]);
    expect(denied.reason).toBe(
      'bindings[0] (principal spiffe://verdict.local/ns/default/sa/model-server) grants roles model-reader, none of which includes it',
    );
  });

  it('says when no binding names the principal', () => {
    expect(authorizer.authorize(router, 'model:read')).toEqual({
      allowed: false,
      roles: [],
      reason: 'no binding in test-policy.yaml names this principal',
    });
  });

  it('matches trailing-wildcard principal patterns', () => {
    const job = servicePrincipal('spiffe://verdict.local/ns/batch/sa/scorer');
    expect(authorizer.authorize(job, 'model:read').allowed).toBe(true);
    const lookalike = servicePrincipal('spiffe://verdict.local/ns/batch-2/sa/scorer');
    expect(authorizer.authorize(lookalike, 'model:read').allowed).toBe(false);
  });

  it('counts a team-scoped grant for the per-RPC gate (anyTeam), which only asks whether any team is granted', () => {
    expect(authorizer.authorize(alice, 'model:deploy', { anyTeam: true })).toMatchObject({
      allowed: true,
      roles: ['deployer'],
    });
    expect(authorizer.authorize(alice, 'model:deploy').allowed).toBe(false);
    expect(authorizer.authorize(alice, 'model:admin', { anyTeam: true }).allowed).toBe(false);
    expect(authorizer.authorize(router, 'model:read', { anyTeam: true }).allowed).toBe(false);
  });

  it("scopes a team's deployer to that team's resources", () => {
    expect(
      authorizer.authorize(alice, 'model:deploy', { team: 'team-a', name: 'fraud' }),
    ).toMatchObject({
      allowed: true,
      roles: ['deployer'],
    });
    const otherTeam = authorizer.authorize(alice, 'model:deploy', { team: 'team-b', name: 'spam' });
    expect(otherTeam).toEqual({
      allowed: false,
      roles: [],
      reason:
        'bindings[2] (group ml-team-a) grants it only for team team-a; the resource belongs to team team-b',
    });
    expect(authorizer.authorize(alice, 'model:deploy').reason).toContain(
      'the resource has no team',
    );
  });

  it('throws PermissionDeniedError naming principal, permission, resource and reason', () => {
    expect(() =>
      authorizer.assertAllowed(alice, 'model:deploy', { team: 'team-b', name: 'spam' }),
    ).toThrow(PermissionDeniedError);
    expect(() =>
      authorizer.assertAllowed(alice, 'model:deploy', { team: 'team-b', name: 'spam' }),
    ).toThrow(
      "user 'alice' (issuer https://idp.example, groups ml-team-a) lacks permission 'model:deploy' on spam (team team-b): bindings[2]",
    );
    expect(() => authorizer.assertAllowed(router, 'inference:invoke')).toThrow(
      "spiffe://verdict.local/ns/default/sa/router lacks permission 'inference:invoke': no binding",
    );
    expect(authorizer.assertAllowed(modelServer, 'model:read').allowed).toBe(true);
  });

  it('grants by prefix wildcard, but keeps narrower permissions separate from exact grants', () => {
    const lead = user('bob', ['ml-leads']);
    expect(authorizer.authorize(lead, 'model:deploy:production', { team: 'team-b' }).allowed).toBe(
      true,
    );
    expect(authorizer.authorize(lead, 'experiment:write', { team: 'team-b' }).allowed).toBe(false);
    expect(authorizer.authorize(alice, 'model:deploy:production', { team: 'team-a' }).allowed).toBe(
      false,
    );
  });

  it('grants everything to * by subject, and unions the roles of all applicable bindings', () => {
    expect(authorizer.authorize(user('ci-bot'), 'repository:admin')).toMatchObject({
      allowed: true,
      roles: ['admin'],
    });
    const both = user('carol', ['ml-team-a', 'ml-leads']);
    const decision = authorizer.authorize(both, 'model:read', { team: 'team-a' });
    expect(decision.roles).toEqual(['deployer', 'model-owner']);
    expect(decision.reason).toContain('bindings[2] (group ml-team-a)');
  });

  it('does not confuse users with services: a subject equal to a SPIFFE ID gets nothing', () => {
    const impostor = user('spiffe://verdict.local/ns/default/sa/model-server');
    expect(authorizer.authorize(impostor, 'model:read').allowed).toBe(false);
  });
});
