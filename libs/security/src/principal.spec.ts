import { UnauthenticatedError } from '@verdict/errors';
import { describePrincipal, servicePrincipal } from './principal';

describe('principals', () => {
  it('builds a service principal from a SPIFFE ID', () => {
    expect(servicePrincipal('spiffe://verdict.local/ns/default/sa/router')).toEqual({
      kind: 'service',
      id: 'spiffe://verdict.local/ns/default/sa/router',
      trustDomain: 'verdict.local',
      namespace: 'default',
      serviceAccount: 'router',
    });
    expect(servicePrincipal('spiffe://verdict.local/ci')).toEqual({
      kind: 'service',
      id: 'spiffe://verdict.local/ci',
      trustDomain: 'verdict.local',
    });
  });

  it('refuses an invalid peer ID as unauthenticated', () => {
    expect(() => servicePrincipal('spiffe://verdict.local/a//b')).toThrow(UnauthenticatedError);
    expect(() => servicePrincipal('spiffe://verdict.local/a//b')).toThrow('peer SPIFFE ID');
  });

  it('describes services by SPIFFE ID and users by subject, issuer and groups', () => {
    expect(describePrincipal(servicePrincipal('spiffe://verdict.local/ns/default/sa/router'))).toBe(
      'spiffe://verdict.local/ns/default/sa/router',
    );
    expect(
      describePrincipal({ kind: 'user', id: 'alice', issuer: 'https://idp.example', groups: [] }),
    ).toBe("user 'alice' (issuer https://idp.example)");
    expect(
      describePrincipal({
        kind: 'user',
        id: 'ci-bot',
        issuer: 'https://idp.example',
        groups: ['ml-team-a', 'ci'],
      }),
    ).toBe("user 'ci-bot' (issuer https://idp.example, groups ml-team-a, ci)");
  });
});
