import { X509Certificate, createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import {
  certificateAuthorityFromPem,
  createCertificateAuthority,
  loadCertificateAuthority,
  type CertificateAuthority,
} from './certificate-authority';
import { issueCertificate } from './issue-certificate';
import { spiffeIdFromCertificate } from './certificate-identity';

const ROUTER = 'spiffe://verdict.local/ns/default/sa/router';
const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

describe('certificate authority and issuing', () => {
  let ca: CertificateAuthority;
  let caPublicKey: X509Certificate['publicKey'];

  beforeAll(async () => {
    ca = await createCertificateAuthority({ commonName: 'Test CA' });
    caPublicKey = new X509Certificate(ca.certPem).publicKey;
  });

  it('creates a self-signed CA certificate whose key matches', () => {
    const certificate = new X509Certificate(ca.certPem);
    expect(certificate.ca).toBe(true);
    expect(certificate.subject).toBe('CN=Test CA');
    expect(certificate.verify(certificate.publicKey)).toBe(true);
    expect(ca.keyPem).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('issues a leaf that verifies against the CA, with the SANs and usages asked for', async () => {
    const leaf = await issueCertificate({
      ca,
      spiffeId: ROUTER,
      dnsNames: ['localhost'],
      ipAddresses: ['127.0.0.1', '::1'],
    });
    const certificate = new X509Certificate(leaf.certPem);
    expect(certificate.verify(caPublicKey)).toBe(true);
    expect(certificate.ca).toBe(false);
    expect(certificate.subject).toBe('CN=router');
    expect(certificate.issuer).toBe('CN=Test CA');
    expect(certificate.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
    expect(certificate.checkHost('localhost')).toBe('localhost');
    expect(certificate.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(certificate.checkIP('::1')).toBe('::1');
    expect(spiffeIdFromCertificate(leaf.certPem)).toBe(ROUTER);
    expect(certificate.serialNumber.toLowerCase()).toBe(leaf.serialNumber);
  });

  it('issues client-only certificates when asked', async () => {
    const leaf = await issueCertificate({ ca, spiffeId: ROUTER, serverAuth: false });
    expect(new X509Certificate(leaf.certPem).keyUsage).toEqual([CLIENT_AUTH]);
  });

  it('gives a certificate from another CA that does not verify against ours', async () => {
    const other = await createCertificateAuthority({ commonName: 'Test CA' });
    const foreign = await issueCertificate({ ca: other, spiffeId: ROUTER });
    expect(new X509Certificate(foreign.certPem).verify(caPublicKey)).toBe(false);
  });

  it('issues an expired certificate when asked for dates in the past', async () => {
    const now = Date.now();
    const expired = await issueCertificate({
      ca,
      spiffeId: ROUTER,
      notBefore: new Date(now - 2 * 86_400_000),
      notAfter: new Date(now - 86_400_000),
    });
    const certificate = new X509Certificate(expired.certPem);
    expect(new Date(certificate.validTo).getTime()).toBeLessThan(now);
    expect(certificate.verify(caPublicKey)).toBe(true);
  });

  it('rotates: a second certificate for the same identity has a new key and serial', async () => {
    const first = await issueCertificate({ ca, spiffeId: ROUTER });
    const second = await issueCertificate({ ca, spiffeId: ROUTER });
    expect(second.serialNumber).not.toBe(first.serialNumber);
    expect(second.keyPem).not.toBe(first.keyPem);
    expect(spiffeIdFromCertificate(second.certPem)).toBe(spiffeIdFromCertificate(first.certPem));
  });

  it('refuses invalid SANs and a certificate without any', async () => {
    await expect(issueCertificate({ ca, spiffeId: 'spiffe://Bad/x' })).rejects.toThrow(
      /^spiffeId: expected a trust domain/,
    );
    await expect(issueCertificate({ ca, dnsNames: ['not a host'] })).rejects.toThrow(
      'dnsNames[0]: expected a DNS name',
    );
    await expect(issueCertificate({ ca, ipAddresses: ['300.1.1.1'] })).rejects.toThrow(
      InvalidArgumentError,
    );
    await expect(issueCertificate({ ca })).rejects.toThrow('at least one of spiffeId');
  });

  describe('loading from PEM', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'verdict-ca-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('loads a CA from files and issues certificates that verify against the original', async () => {
      await writeFile(join(dir, 'ca.pem'), ca.certPem);
      await writeFile(join(dir, 'ca.key'), ca.keyPem);
      const loaded = await loadCertificateAuthority({
        cert: join(dir, 'ca.pem'),
        key: join(dir, 'ca.key'),
      });
      const leaf = await issueCertificate({ ca: loaded, spiffeId: ROUTER });
      expect(new X509Certificate(leaf.certPem).verify(caPublicKey)).toBe(true);
    });

    it('accepts the CA key in SEC1 form (BEGIN EC PRIVATE KEY), as OpenSSL writes it', async () => {
      const sec1 = createPrivateKey(ca.keyPem).export({ type: 'sec1', format: 'pem' }).toString();
      expect(sec1).toMatch(/^-----BEGIN EC PRIVATE KEY-----/);
      const loaded = await certificateAuthorityFromPem({ certPem: ca.certPem, keyPem: sec1 });
      const leaf = await issueCertificate({ ca: loaded, spiffeId: ROUTER });
      expect(new X509Certificate(leaf.certPem).verify(caPublicKey)).toBe(true);
    });

    it('refuses a key that is not ECDSA', async () => {
      const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs8', format: 'pem' })
        .toString();
      await expect(
        certificateAuthorityFromPem({ certPem: ca.certPem, keyPem: rsa }),
      ).rejects.toThrow('expected an ECDSA key on P-256, P-384 or P-521, got a rsa key');
    });

    it('refuses a key that belongs to another certificate', async () => {
      const other = await createCertificateAuthority();
      await expect(
        certificateAuthorityFromPem({ certPem: ca.certPem, keyPem: other.keyPem }, 'ca files'),
      ).rejects.toThrow(
        'ca files key: expected the private key of CN=Test CA, got a different key',
      );
    });

    it('refuses a leaf certificate as a CA and unreadable input', async () => {
      const leaf = await issueCertificate({ ca, spiffeId: ROUTER });
      await expect(certificateAuthorityFromPem(leaf)).rejects.toThrow(
        'expected a CA certificate (basicConstraints CA:TRUE)',
      );
      await expect(
        certificateAuthorityFromPem({ certPem: 'garbage', keyPem: ca.keyPem }),
      ).rejects.toThrow('expected a PEM certificate');
      await expect(
        certificateAuthorityFromPem({ certPem: ca.certPem, keyPem: 'garbage' }),
      ).rejects.toThrow('expected a PEM private key');
    });
  });
});
