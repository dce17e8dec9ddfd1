import { X509Certificate } from 'node:crypto';
import { UnauthenticatedError } from '@verdict/errors';
import { createCertificateAuthority, type CertificateAuthority } from './certificate-authority';
import { spiffeIdFromCertificate } from './certificate-identity';
import { issueCertificate } from './issue-certificate';
import { generateKeyPair, SIGNING_ALGORITHM } from './keys';
import type * as x509 from '@peculiar/x509';
import { nodeCrypto, x509Library } from './x509-provider';

const ROUTER = 'spiffe://verdict.local/ns/default/sa/router';

/** A self-signed certificate with arbitrary SANs, to build what issueCertificate refuses to. */
async function certificateWithNames(names: x509.JsonGeneralName[]): Promise<string> {
  const lib = x509Library();
  const keys = await generateKeyPair();
  const certificate = await lib.X509CertificateGenerator.createSelfSigned(
    {
      name: 'CN=crafted',
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [new lib.SubjectAlternativeNameExtension(names)],
    },
    nodeCrypto,
  );
  return certificate.toString('pem');
}

describe('spiffeIdFromCertificate', () => {
  let ca: CertificateAuthority;

  beforeAll(async () => {
    ca = await createCertificateAuthority();
  });

  it('reads the SPIFFE ID from PEM, DER and a parsed certificate', async () => {
    const { certPem } = await issueCertificate({ ca, spiffeId: ROUTER, dnsNames: ['localhost'] });
    const parsed = new X509Certificate(certPem);
    expect(spiffeIdFromCertificate(certPem)).toBe(ROUTER);
    expect(spiffeIdFromCertificate(parsed.raw)).toBe(ROUTER);
    expect(spiffeIdFromCertificate(new Uint8Array(parsed.raw))).toBe(ROUTER);
    expect(spiffeIdFromCertificate(parsed)).toBe(ROUTER);
  });

  it('returns undefined when the certificate has no SPIFFE ID', async () => {
    const { certPem } = await issueCertificate({ ca, dnsNames: ['localhost'] });
    expect(spiffeIdFromCertificate(certPem)).toBeUndefined();
    expect(
      spiffeIdFromCertificate(await certificateWithNames([{ type: 'url', value: 'https://x/y' }])),
    ).toBeUndefined();
  });

  it('refuses a certificate with two SPIFFE IDs, as the X.509-SVID spec requires', async () => {
    const pem = await certificateWithNames([
      { type: 'url', value: ROUTER },
      { type: 'url', value: 'spiffe://verdict.local/ns/default/sa/audit' },
    ]);
    expect(() => spiffeIdFromCertificate(pem)).toThrow(UnauthenticatedError);
    expect(() => spiffeIdFromCertificate(pem)).toThrow('carries 2 SPIFFE IDs');
  });

  it('is not fooled by a comma inside a URI SAN, which Node prints quoted', async () => {
    const pem = await certificateWithNames([
      { type: 'url', value: `spiffe://verdict.local/x, URI:${ROUTER}` },
    ]);
    expect(new X509Certificate(pem).subjectAltName).toContain('"');
    expect(() => spiffeIdFromCertificate(pem)).toThrow(
      /peer certificate carries an invalid SPIFFE ID: .*path segments of letters/,
    );
  });

  it('refuses an upper-case scheme rather than ignoring it', async () => {
    const pem = await certificateWithNames([
      { type: 'url', value: 'SPIFFE://verdict.local/ns/default/sa/admin' },
      { type: 'url', value: ROUTER },
    ]);
    expect(() => spiffeIdFromCertificate(pem)).toThrow('carries 2 SPIFFE IDs');
  });

  it('throws UnauthenticatedError for bytes that are not a certificate', () => {
    const garbage = Buffer.from('not a certificate');
    expect(() => spiffeIdFromCertificate(garbage)).toThrow(UnauthenticatedError);
    expect(() => spiffeIdFromCertificate(garbage)).toThrow('peer certificate could not be parsed');
  });
});
