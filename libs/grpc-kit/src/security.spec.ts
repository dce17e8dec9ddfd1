import { TLSSocket } from 'node:tls';
import { status } from '@grpc/grpc-js';
import { SignJWT, exportJWK, generateKeyPair, type KeyLike } from 'jose';
import { createAuthorizer, createJwtVerifier, parsePolicy } from '@verdict/security';
import { auditV1 } from '@verdict/proto';
import { createMethodAuthorizer, type DenialEvent } from './authorization';
import { createClient } from './client';
import type { ClientTransportOptions } from './credentials';
import { createServer, type KitServer } from './server';
import { createTestPki, type TestPki } from './testing/test-pki';
import { createTestAuditService } from './testing/test-service';

const APPEND = '/verdict.audit.v1.AuditService/Append';
const ISSUER = 'https://idp.example.test';
const AUDIENCE = 'verdict';
const POLICY = `
roles:
  appender: [audit:append]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [appender]
  - groups: [ci]
    roles: [appender]
  - groups: [team-a-ops]
    roles: [appender]
    teams: [team-a]
`;

describe('kit server security', () => {
  let pki: TestPki;
  let server: KitServer;
  let address: string;
  let signingKey: KeyLike;
  const denials: DenialEvent[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    const keys = await generateKeyPair('ES256');
    signingKey = keys.privateKey;
    const jwk = { ...(await exportJWK(keys.publicKey)), kid: 'test', alg: 'ES256' };
    server = createServer({
      name: 'security-test',
      transport: pki.server('alpha'),
      tokenVerifier: createJwtVerifier({
        jwks: { keys: [jwk] },
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
      authorize: createMethodAuthorizer({
        evaluator: createAuthorizer(parsePolicy(POLICY)),
        permissions: { [APPEND]: 'audit:append' },
      }),
      onDenied: (event) => denials.push(event),
    });
    server.add(auditV1.AuditService, createTestAuditService());
    address = `127.0.0.1:${await server.start()}`;
  });

  afterAll(async () => {
    await server.shutdown({ graceMs: 1000 });
    await pki.remove();
  });

  async function append(transport: ClientTransportOptions, token?: string) {
    const client = createClient(auditV1.AuditService, {
      address,
      transport,
      defaultTimeoutMs: 3000,
      bearerToken: token === undefined ? undefined : () => token,
    });
    try {
      return await client.append({ records: [{ id: 'r1' }] });
    } finally {
      client.close();
    }
  }

  function token(claims: { sub: string; groups?: string[] }, expiresAt: number) {
    return new SignJWT({ groups: claims.groups ?? [] })
      .setProtectedHeader({ alg: 'ES256', kid: 'test' })
      .setSubject(claims.sub)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt(expiresAt - 600)
      .setExpirationTime(expiresAt)
      .sign(signingKey);
  }

  const now = () => Math.floor(Date.now() / 1000);

  it('accepts a client certificate from the platform CA', async () => {
    await expect(append(pki.client())).resolves.toMatchObject({ treeSize: 1n });
  });

  it("keeps each connection's own identity over many interleaved calls", async () => {
    const open = (transport: ClientTransportOptions) =>
      createClient(auditV1.AuditService, { address, transport, defaultTimeoutMs: 3000 });
    const tester = open(pki.client());
    const beta = open(pki.client('beta'));
    // The server reads each connection's certificate once, not once per call: after the first
    // round (handshakes included) no call reads a certificate again.
    const reads = jest.spyOn(TLSSocket.prototype, 'getPeerCertificate');
    let readsAfterFirstRound = 0;
    try {
      for (let i = 0; i < 5; i++) {
        if (i === 1) readsAfterFirstRound = reads.mock.calls.length;
        const [allowed, denied] = await Promise.allSettled([
          tester.append({ records: [{ id: `keep-${i}` }] }),
          beta.append({ records: [{ id: `keep-beta-${i}` }] }),
        ]);
        expect(allowed).toMatchObject({ status: 'fulfilled' });
        expect(denied).toMatchObject({
          status: 'rejected',
          reason: {
            code: status.PERMISSION_DENIED,
            details: expect.stringContaining('spiffe://verdict.local/ns/default/sa/beta'),
          },
        });
      }
      expect(reads.mock.calls.length).toBe(readsAfterFirstRound);
    } finally {
      reads.mockRestore();
      tester.close();
      beta.close();
    }
  });

  it('refuses a plaintext client at the handshake', async () => {
    await expect(append({ mode: 'mesh' })).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('refuses a client whose certificate comes from another CA', async () => {
    const foreign = await pki.issueClient('tester', { foreignCa: true });
    await expect(append(foreign)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('refuses an expired client certificate', async () => {
    const expired = await pki.issueClient('tester', {
      notBefore: new Date(Date.now() - 3 * 86_400_000),
      notAfter: new Date(Date.now() - 86_400_000),
    });
    await expect(append(expired)).rejects.toMatchObject({ code: status.UNAVAILABLE });
  });

  it('answers PERMISSION_DENIED naming the method and the principal, and reports the denial', async () => {
    const failure = append(pki.client('beta'));
    await expect(failure).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const details = await failure.catch((error: { details: string }) => error.details);
    expect(details).toContain(APPEND);
    expect(details).toContain('spiffe://verdict.local/ns/default/sa/beta');
    expect(details).toContain('audit:append');
    expect(denials.map((d) => [d.method, d.principal.id])).toContainEqual([
      APPEND,
      'spiffe://verdict.local/ns/default/sa/beta',
    ]);
  });

  it('accepts a valid JWT and authorizes by its groups', async () => {
    const jwt = await token({ sub: 'ci-job-17', groups: ['ci'] }, now() + 600);
    await expect(append(pki.client('beta'), jwt)).resolves.toMatchObject({ treeSize: 1n });
  });

  it('lets a team-scoped grant through the per-RPC gate (the service checks the resource team)', async () => {
    const jwt = await token({ sub: 'alice', groups: ['team-a-ops'] }, now() + 600);
    await expect(append(pki.client('beta'), jwt)).resolves.toMatchObject({ treeSize: 1n });
  });

  it('answers UNAUTHENTICATED for an expired JWT', async () => {
    const jwt = await token({ sub: 'ci-job-17', groups: ['ci'] }, now() - 120);
    const failure = append(pki.client('beta'), jwt);
    await expect(failure).rejects.toMatchObject({ code: status.UNAUTHENTICATED });
    const details = await failure.catch((error: { details: string }) => error.details);
    expect(details).toMatch(/expired/i);
    expect(details).not.toContain(jwt);
  });
});
