import { parseSubjectAltNames } from './subject-alt-name';

describe('parseSubjectAltNames', () => {
  it('reads plain entries, including types with spaces', () => {
    expect(
      parseSubjectAltNames(
        'URI:spiffe://verdict.local/ns/default/sa/router, DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1',
      ),
    ).toEqual([
      { type: 'URI', value: 'spiffe://verdict.local/ns/default/sa/router' },
      { type: 'DNS', value: 'localhost' },
      { type: 'IP Address', value: '127.0.0.1' },
      { type: 'IP Address', value: '0:0:0:0:0:0:0:1' },
    ]);
  });

  it('decodes quoted entries so that a crafted name cannot pose as two', () => {
    expect(
      parseSubjectAltNames(
        'URI:"spiffe://td/a\\u002c URI:spiffe://td/admin", DNS:"we\\"ird", email:a@b',
      ),
    ).toEqual([
      { type: 'URI', value: 'spiffe://td/a, URI:spiffe://td/admin' },
      { type: 'DNS', value: 'we"ird' },
      { type: 'email', value: 'a@b' },
    ]);
  });

  it('returns nothing for a certificate without SANs', () => {
    expect(parseSubjectAltNames(undefined)).toEqual([]);
    expect(parseSubjectAltNames('')).toEqual([]);
  });

  it('throws on text Node would never produce', () => {
    expect(() => parseSubjectAltNames('no colon here')).toThrow('without a type');
    expect(() => parseSubjectAltNames('URI:"unterminated')).toThrow('unterminated');
    expect(() => parseSubjectAltNames('URI:"a"junk')).toThrow("separated by ', '");
  });
});
