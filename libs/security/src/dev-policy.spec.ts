import { createAuthorizer } from './authorizer';
import { DEV_POLICY_YAML, devPolicyYaml } from './dev-policy';
import { parsePolicy } from './policy';
import { servicePrincipal } from './principal';

const id = (name: string, trustDomain = 'verdict.local') =>
  servicePrincipal(`spiffe://${trustDomain}/ns/default/sa/${name}`);

describe('dev policy', () => {
  const authorizer = createAuthorizer(parsePolicy(DEV_POLICY_YAML, 'dev policy'));
  const allowed = (name: string, permission: string) =>
    authorizer.authorize(id(name), permission, { team: 'team-a' }).allowed;

  it('gives each service what the design needs from the others', () => {
    expect(allowed('router', 'inference:invoke')).toBe(true);
    expect(allowed('router', 'experiment:read')).toBe(true);
    expect(allowed('router', 'experiment:ingest')).toBe(true);
    expect(allowed('model-server', 'model:read')).toBe(true);
    expect(allowed('experiment-analyzer', 'model:read')).toBe(true);
    expect(allowed('experiment-analyzer', 'model:deploy')).toBe(true);
    for (const service of ['router', 'model-server', 'registry', 'experiment-analyzer', 'audit']) {
      expect(allowed(service, 'audit:append')).toBe(true);
    }
  });

  it('gives services nothing beyond that', () => {
    expect(allowed('router', 'model:deploy')).toBe(false);
    expect(allowed('model-server', 'inference:invoke')).toBe(false);
    expect(allowed('registry', 'model:read')).toBe(false);
    expect(allowed('audit', 'audit:read')).toBe(false);
    expect(allowed('experiment-analyzer', 'experiment:write')).toBe(false);
  });

  it('makes the local developer an admin', () => {
    for (const permission of ['repository:admin', 'audit:read', 'model:deploy:production']) {
      expect(allowed('developer', permission)).toBe(true);
    }
    expect(allowed('someone-else', 'model:read')).toBe(false);
  });

  it('follows the trust domain, namespace and client name it is made for', () => {
    const custom = createAuthorizer(
      parsePolicy(devPolicyYaml({ trustDomain: 'example.org', namespace: 'ml', clientName: 'ci' })),
    );
    expect(
      custom.authorize(servicePrincipal('spiffe://example.org/ns/ml/sa/ci'), 'audit:read').allowed,
    ).toBe(true);
    expect(custom.authorize(id('developer'), 'audit:read').allowed).toBe(false);
    expect(
      custom.authorize(servicePrincipal('spiffe://example.org/ns/ml/sa/router'), 'inference:invoke')
        .allowed,
    ).toBe(true);
  });
});
