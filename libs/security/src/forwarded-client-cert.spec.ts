import { UnauthenticatedError } from '@verdict/errors';
import {
  parseForwardedClientCert,
  parseForwardedClientCertElements,
} from './forwarded-client-cert';

const ROUTER = 'spiffe://cluster.local/ns/default/sa/router';
const GATEWAY = 'spiffe://cluster.local/ns/istio-system/sa/ingress';

describe('x-forwarded-client-cert', () => {
  it('returns the URI of a single element (Istio sidecar form)', () => {
    const header = `By=spiffe://cluster.local/ns/default/sa/registry;Hash=4e3a0a1b2c;Subject="";URI=${ROUTER}`;
    expect(parseForwardedClientCert(header)).toBe(ROUTER);
  });

  it('returns the last element, the immediate peer, when proxies chained', () => {
    const header = `By=spiffe://x/a;Hash=aa;URI=${GATEWAY},By=spiffe://x/b;Hash=bb;URI=${ROUTER}`;
    expect(parseForwardedClientCert(header)).toBe(ROUTER);
  });

  it('reads several header lines as one list', () => {
    expect(parseForwardedClientCert([`Hash=aa;URI=${GATEWAY}`, `Hash=bb;URI=${ROUTER}`])).toBe(
      ROUTER,
    );
  });

  it('unquotes values that hold separators and escaped quotes', () => {
    const header = `Hash=aa;Subject="CN=client,OU=a;b=c \\"q\\"";URI="${ROUTER}";DNS=a.example;DNS=b.example`;
    expect(parseForwardedClientCertElements(header)).toEqual([
      {
        hash: ['aa'],
        subject: ['CN=client,OU=a;b=c "q"'],
        uri: [ROUTER],
        dns: ['a.example', 'b.example'],
      },
    ]);
    expect(parseForwardedClientCert(header)).toBe(ROUTER);
  });

  it('treats keys case-insensitively and tolerates spaces after separators', () => {
    expect(parseForwardedClientCert(`hash=aa; uri=${GATEWAY}, Hash=bb; Uri=${ROUTER}`)).toBe(
      ROUTER,
    );
  });

  it('treats a key named like an Object property as a plain key', () => {
    expect(
      parseForwardedClientCertElements('constructor=x;URI=spiffe://td/a')[0].constructor,
    ).toEqual(['x']);
  });

  it('returns undefined without a header or without a URI for the last peer', () => {
    expect(parseForwardedClientCert(undefined)).toBeUndefined();
    expect(parseForwardedClientCert('')).toBeUndefined();
    expect(parseForwardedClientCert(`URI=${ROUTER},Hash=bb`)).toBeUndefined();
  });

  it.each([
    ['a value without a key', 'URI'],
    ['an unterminated quote', 'URI="spiffe://x'],
    ['an empty element', `URI=${ROUTER},,URI=${ROUTER}`],
    ['a trailing comma', `URI=${ROUTER},`],
    ['an unquoted quote', 'Subject=a"b'],
    ['garbage after a quoted value', 'URI="a"b'],
    ['a bad key', 'U-RI=x'],
  ])('refuses %s as unauthenticated', (_case, header) => {
    expect(() => parseForwardedClientCert(header)).toThrow(UnauthenticatedError);
    expect(() => parseForwardedClientCert(header)).toThrow('malformed x-forwarded-client-cert');
  });

  it('refuses two URIs for the same peer', () => {
    expect(() => parseForwardedClientCert(`URI=${ROUTER};URI=${GATEWAY}`)).toThrow('names 2 URIs');
  });
});
