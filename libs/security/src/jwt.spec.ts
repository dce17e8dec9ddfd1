import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  exportJWK,
  generateKeyPair,
  SignJWT,
  type JSONWebKeySet,
  type JWTPayload,
  type KeyLike,
} from 'jose';
import { InvalidArgumentError, UnauthenticatedError, UnavailableError } from '@verdict/errors';
import { bearerToken, createJwtVerifier } from './jwt';

const ISSUER = 'https://idp.example';
const AUDIENCE = 'verdict';
const now = () => Math.floor(Date.now() / 1000);

describe('createJwtVerifier', () => {
  let signingKey: KeyLike;
  let otherKey: KeyLike;
  let jwks: JSONWebKeySet;

  beforeAll(async () => {
    const pair = await generateKeyPair('ES256');
    signingKey = pair.privateKey;
    otherKey = (await generateKeyPair('ES256')).privateKey;
    jwks = {
      keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'key-1', alg: 'ES256', use: 'sig' }],
    };
  });

  async function token(
    claims: JWTPayload = {},
    options: { key?: KeyLike; kid?: string; expiresIn?: number; omit?: string[] } = {},
  ): Promise<string> {
    const payload: JWTPayload = {
      sub: 'alice',
      iss: ISSUER,
      aud: AUDIENCE,
      iat: now(),
      exp: now() + (options.expiresIn ?? 300),
      groups: ['ml-team-a', 'ci'],
      ...claims,
    };
    for (const claim of options.omit ?? []) {
      delete payload[claim];
    }
    return new SignJWT(payload)
      .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'key-1' })
      .sign(options.key ?? signingKey);
  }

  const verifier = () => createJwtVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE });

  async function refusal(jwt: string, make = verifier): Promise<Error> {
    const error = await make()
      .verify(jwt)
      .then(
        () => undefined,
        (caught: Error) => caught,
      );
    if (error === undefined) {
      throw new Error('expected the token to be refused');
    }
    expect(error.message).not.toContain(jwt);
    const signature = jwt.split('.')[2];
    if (signature) {
      expect(error.message).not.toContain(signature);
    }
    return error;
  }

  it('accepts a valid token and returns the user with groups', async () => {
    await expect(verifier().verify(await token())).resolves.toEqual({
      kind: 'user',
      id: 'alice',
      issuer: ISSUER,
      groups: ['ml-team-a', 'ci'],
    });
  });

  it('reads groups from a configured claim, as a list or a single string, or none', async () => {
    const custom = createJwtVerifier({
      jwks,
      issuer: ISSUER,
      audience: AUDIENCE,
      groupsClaim: 'roles',
    });
    expect((await custom.verify(await token({ roles: 'deployers' }))).groups).toEqual([
      'deployers',
    ]);
    expect((await verifier().verify(await token({}, { omit: ['groups'] }))).groups).toEqual([]);
    const bad = await refusal(await token({ groups: [1, 2] }));
    expect(bad).toBeInstanceOf(UnauthenticatedError);
    expect(bad.message).toBe("token claim 'groups' must be a list of group names");
  });

  it('refuses an expired token, saying when it expired', async () => {
    const expiredAt = now() - 120;
    const error = await refusal(await token({ exp: expiredAt }));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toBe(`token expired at ${new Date(expiredAt * 1000).toISOString()}`);
  });

  it('tolerates clock skew up to clockToleranceSeconds', async () => {
    const justExpired = await token({ exp: now() - 10 });
    await expect(verifier().verify(justExpired)).resolves.toMatchObject({ id: 'alice' });
    const strict = () =>
      createJwtVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, clockToleranceSeconds: 0 });
    expect((await refusal(justExpired, strict)).message).toMatch(/^token expired at /);
  });

  it('refuses a token that is not yet valid', async () => {
    const error = await refusal(await token({ nbf: now() + 3600 }));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toMatch(/^token not yet valid: it is valid from \d{4}-/);
  });

  it('refuses a token signed by another key under the same key id', async () => {
    const error = await refusal(await token({}, { key: otherKey }));
    expect(error).toBeInstanceOf(UnauthenticatedError);
    expect(error.message).toBe("token signature does not verify with the issuer's keys");
  });

  it('refuses a token whose key id the JWKS does not hold', async () => {
    const error = await refusal(await token({}, { key: otherKey, kid: 'unknown' }));
    expect(error.message).toBe(
      `no key in the issuer's JWKS matches the token (kid "unknown", alg "ES256")`,
    );
  });

  it('refuses the wrong audience and the wrong issuer, naming the expected ones', async () => {
    expect((await refusal(await token({ aud: 'someone-else' }))).message).toBe(
      `token audience "someone-else" does not include 'verdict'`,
    );
    expect((await refusal(await token({ iss: 'https://evil.example' }))).message).toBe(
      `token issuer "https://evil.example" is not the expected 'https://idp.example'`,
    );
  });

  it('requires a subject and an expiry', async () => {
    expect((await refusal(await token({}, { omit: ['sub'] }))).message).toBe(
      "token has no 'sub' claim",
    );
    expect((await refusal(await token({}, { omit: ['exp'] }))).message).toBe(
      "token has no 'exp' claim",
    );
  });

  it('refuses malformed tokens, symmetric algorithms and oversized tokens', async () => {
    expect((await refusal('not.a-jwt')).message).toMatch(/^malformed token: /);
    const hmac = await new SignJWT({ sub: 'alice', iss: ISSUER, aud: AUDIENCE, exp: now() + 60 })
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode('a shared secret of enough length!!'));
    expect((await refusal(hmac)).message).toMatch(/^token algorithm "HS256" is not allowed/);
    const small = () =>
      createJwtVerifier({ jwks, issuer: ISSUER, audience: AUDIENCE, maxTokenLength: 100 });
    expect((await refusal(await token(), small)).message).toMatch(/characters long; at most 100/);
    await expect(verifier().verify('')).rejects.toThrow('no bearer token');
  });

  it('refuses a JWKS document that is not one, at creation', () => {
    expect(() =>
      createJwtVerifier({
        jwks: { keys: 'nope' } as unknown as JSONWebKeySet,
        issuer: ISSUER,
        audience: AUDIENCE,
      }),
    ).toThrow(InvalidArgumentError);
  });

  describe('with a JWKS URL', () => {
    let server: Server;
    let url: URL;

    beforeAll(async () => {
      server = createServer((_request, response) => {
        response.setHeader('content-type', 'application/json');
        response.end(JSON.stringify(jwks));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`);
    });
    afterAll(async () => {
      await new Promise((resolve) => server.close(resolve));
    });

    it('fetches the keys and verifies', async () => {
      const remote = createJwtVerifier({ jwks: url, issuer: ISSUER, audience: AUDIENCE });
      await expect(remote.verify(await token())).resolves.toMatchObject({ id: 'alice' });
    });

    it('reports an unreachable JWKS as unavailable, not as a bad token', async () => {
      const closed = createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const remote = createJwtVerifier({
        jwks: new URL(`http://127.0.0.1:${port}/jwks.json`),
        issuer: ISSUER,
        audience: AUDIENCE,
      });
      const error = await remote.verify(await token()).catch((caught: Error) => caught);
      expect(error).toBeInstanceOf(UnavailableError);
      expect((error as Error).message).toContain("the issuer's JWKS at http://127.0.0.1:");
    });
  });
});

describe('bearerToken', () => {
  it('extracts the token, with any case of the scheme', () => {
    expect(bearerToken('Bearer abc.def-_.ghi')).toBe('abc.def-_.ghi');
    expect(bearerToken('bearer abc')).toBe('abc');
  });

  it('returns undefined without a header', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
  });

  it.each(['Basic dXNlcjpwYXNz', 'Bearer', 'Bearer a b', 'Bearer ä', 'abc'])(
    'refuses %j as unauthenticated',
    (header) => {
      expect(() => bearerToken(header)).toThrow(UnauthenticatedError);
      expect(() => bearerToken(header)).toThrow("must have the form 'Bearer <token>'");
    },
  );
});
