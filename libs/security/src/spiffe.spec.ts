import fc from 'fast-check';
import { InvalidArgumentError } from '@verdict/errors';
import { matchSpiffeId, parseSpiffeId, serviceSpiffeId, validateSpiffeIdPattern } from './spiffe';

/** An independent statement of SPIFFE-ID.md's syntax, the oracle for the property tests. */
const VALID = /^spiffe:\/\/[a-z0-9._-]{1,255}(\/(?!\.\.?(\/|$))[A-Za-z0-9._-]+)*$/;

const trustDomain = fc.stringMatching(/^[a-z0-9._-]{1,40}$/);
const segment = fc
  .stringMatching(/^[A-Za-z0-9._-]{1,16}$/)
  .filter((value) => value !== '.' && value !== '..');
const validId = fc
  .tuple(trustDomain, fc.array(segment, { maxLength: 6 }))
  .map(([domain, segments]) => `spiffe://${domain}${segments.map((s) => `/${s}`).join('')}`);

function title(uri: string): string {
  return uri.length > 60
    ? `${uri.slice(0, 30)}... (${uri.length} characters)`
    : JSON.stringify(uri);
}

describe('parseSpiffeId', () => {
  it('splits a Kubernetes-style ID into trust domain, namespace and service account', () => {
    expect(parseSpiffeId('spiffe://verdict.local/ns/default/sa/router')).toEqual({
      id: 'spiffe://verdict.local/ns/default/sa/router',
      trustDomain: 'verdict.local',
      path: '/ns/default/sa/router',
      namespace: 'default',
      serviceAccount: 'router',
    });
  });

  it('accepts a trust domain ID and other path shapes without namespace fields', () => {
    expect(parseSpiffeId('spiffe://example.org')).toEqual({
      id: 'spiffe://example.org',
      trustDomain: 'example.org',
      path: '',
    });
    const other = parseSpiffeId('spiffe://example.org/ns/a/sa/b/extra');
    expect(other.namespace).toBeUndefined();
    expect(other.serviceAccount).toBeUndefined();
  });

  it.each(
    [
      ['', 'a SPIFFE ID like'],
      ['https://verdict.local/x', "starting with 'spiffe://'"],
      ['SPIFFE://verdict.local/x', "starting with 'spiffe://'"],
      ['spiffe:///ns/a', 'with a trust domain'],
      ['spiffe://Verdict.local/x', 'trust domain of lowercase'],
      ['spiffe://verdict.local:8080/x', 'trust domain of lowercase'],
      ['spiffe://user@verdict.local/x', 'trust domain of lowercase'],
      ['spiffe://verdict.local/', 'without a trailing slash'],
      ['spiffe://verdict.local/a/', 'without a trailing slash'],
      ['spiffe://verdict.local//a', 'no empty path segments'],
      ['spiffe://verdict.local/a/../b', "no '.' or '..'"],
      ['spiffe://verdict.local/./b', "no '.' or '..'"],
      ['spiffe://verdict.local/a b', 'path segments of letters'],
      ['spiffe://verdict.local/a?x=1', 'path segments of letters'],
      ['spiffe://verdict.local/a#frag', 'path segments of letters'],
      ['spiffe://verdict.local/%41', 'path segments of letters'],
      [`spiffe://${'a'.repeat(256)}/x`, 'at most 255'],
      [`spiffe://td/${'a'.repeat(2048)}`, 'at most 2048 bytes'],
    ].map(([uri, expected]) => [title(uri), uri, expected]),
  )('rejects %s, saying what was expected', (_title, uri, expected) => {
    expect(() => parseSpiffeId(uri, 'principals[0]')).toThrow(InvalidArgumentError);
    expect(() => parseSpiffeId(uri, 'principals[0]')).toThrow(expected);
    expect(() => parseSpiffeId(uri, 'principals[0]')).toThrow(/^principals\[0\]: /);
  });

  it('round-trips every valid ID (property)', () => {
    fc.assert(
      fc.property(validId, (id) => {
        const parsed = parseSpiffeId(id);
        expect(parsed.id).toBe(id);
        expect(`spiffe://${parsed.trustDomain}${parsed.path}`).toBe(id);
      }),
    );
  });

  it('accepts exactly what the specification allows, rejecting the rest with InvalidArgumentError (property)', () => {
    const mutated = fc
      .tuple(
        validId,
        fc.nat(),
        fc.constantFrom('/', '.', ':', '@', ' ', 'A', '%', '?', '#', '..', '//', 'é'),
      )
      .map(([id, at, insert]) => {
        const position = at % (id.length + 1);
        return id.slice(0, position) + insert + id.slice(position);
      });
    fc.assert(
      fc.property(
        fc.oneof(
          mutated,
          fc.string(),
          fc.string().map((s) => `spiffe://${s}`),
        ),
        (uri) => {
          if (VALID.test(uri)) {
            expect(parseSpiffeId(uri).id).toBe(uri);
          } else {
            expect(() => parseSpiffeId(uri)).toThrow(InvalidArgumentError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('serviceSpiffeId', () => {
  it('builds and validates the Kubernetes form', () => {
    expect(serviceSpiffeId('verdict.local', 'default', 'router')).toBe(
      'spiffe://verdict.local/ns/default/sa/router',
    );
    expect(() => serviceSpiffeId('verdict.local', 'default', 'bad name')).toThrow(
      InvalidArgumentError,
    );
  });
});

describe('matchSpiffeId', () => {
  const router = 'spiffe://verdict.local/ns/default/sa/router';

  it('matches an exact ID only by equality', () => {
    expect(matchSpiffeId(router, router)).toBe(true);
    expect(matchSpiffeId(router, `${router}2`)).toBe(false);
    expect(matchSpiffeId(router, 'spiffe://verdict.local/ns/default/sa/audit')).toBe(false);
  });

  it('matches a trailing /* against IDs below the prefix, segment-wise', () => {
    expect(matchSpiffeId('spiffe://verdict.local/ns/default/*', router)).toBe(true);
    expect(matchSpiffeId('spiffe://verdict.local/*', router)).toBe(true);
    expect(
      matchSpiffeId('spiffe://verdict.local/ns/default/*', 'spiffe://verdict.local/ns/default'),
    ).toBe(false);
    expect(matchSpiffeId('spiffe://verdict.local/ns/def/*', router)).toBe(false);
    expect(matchSpiffeId('spiffe://other.local/*', router)).toBe(false);
  });

  it('validates patterns', () => {
    expect(validateSpiffeIdPattern('spiffe://verdict.local/ns/default/*')).toBe(
      'spiffe://verdict.local/ns/default/*',
    );
    expect(() => validateSpiffeIdPattern('spiffe://verdict.local/ns/*/sa/x')).toThrow(
      InvalidArgumentError,
    );
    expect(() => validateSpiffeIdPattern('*')).toThrow(InvalidArgumentError);
  });
});
