import { readFile } from 'node:fs/promises';
import { KeyObject, X509Certificate, type webcrypto } from 'node:crypto';
import { InvalidArgumentError } from '@verdict/errors';
import { generateKeyPair, privateKeyFromPem, privateKeyToPem, SIGNING_ALGORITHM } from './keys';
import { randomSerialNumber, validityWindow } from './validity';
import type * as x509 from '@peculiar/x509';
import { nodeCrypto, x509Library } from './x509-provider';

/** A certificate authority that can issue certificates: its certificate and signing key. */
export interface CertificateAuthority {
  /** The CA certificate, PEM; this is the trust bundle peers are given. */
  readonly certPem: string;
  /** The CA private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** The CA certificate, parsed. */
  readonly certificate: x509.X509Certificate;
  /** The CA private key, ready to sign. */
  readonly privateKey: webcrypto.CryptoKey;
}

/** Options of {@link createCertificateAuthority}. */
export interface CertificateAuthorityOptions {
  /**
   * The CA's subject common name.
   * @default 'Verdict Development CA'
   */
  commonName?: string;
  /**
   * Validity in days from now, used when `notAfter` is not given.
   * @default 3650
   */
  validityDays?: number;
  /**
   * Start of validity.
   * @default five minutes ago (tolerates peers whose clocks lag)
   */
  notBefore?: Date;
  /**
   * End of validity.
   * @default `validityDays` from now
   */
  notAfter?: Date;
}

function withDefaults(options: CertificateAuthorityOptions) {
  return {
    commonName: options.commonName ?? 'Verdict Development CA',
    validityDays: options.validityDays ?? 3650,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
  };
}

/**
 * Creates a self-signed CA on a fresh ECDSA P-256 key: basicConstraints CA with path length 0
 * (it signs leaves only), keyUsage keyCertSign and cRLSign.
 */
export async function createCertificateAuthority(
  options: CertificateAuthorityOptions = {},
): Promise<CertificateAuthority> {
  const settings = withDefaults(options);
  const lib = x509Library();
  const keys = await generateKeyPair();
  const certificate = await lib.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: randomSerialNumber(),
      name: [{ CN: [settings.commonName] }],
      ...validityWindow(settings),
      keys,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new lib.BasicConstraintsExtension(true, 0, true),
        new lib.KeyUsagesExtension(lib.KeyUsageFlags.keyCertSign | lib.KeyUsageFlags.cRLSign, true),
        await lib.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
  return {
    certPem: certificate.toString('pem'),
    keyPem: privateKeyToPem(keys.privateKey),
    certificate,
    privateKey: keys.privateKey,
  };
}

/**
 * Loads a CA from PEM text. Checks that the certificate is a CA certificate and that the key
 * belongs to it, so a mixed-up pair fails here and not at the first handshake.
 *
 * @param source - named in errors, e.g. the file paths
 * @throws InvalidArgumentError when the PEM is unreadable, not a CA, or the key does not match
 */
export async function certificateAuthorityFromPem(
  pem: { certPem: string; keyPem: string },
  source = 'certificate authority',
): Promise<CertificateAuthority> {
  const lib = x509Library();
  let certificate: x509.X509Certificate;
  try {
    certificate = new lib.X509Certificate(pem.certPem);
  } catch {
    throw new InvalidArgumentError({
      field: `${source} certificate`,
      expected: 'a PEM certificate',
      received: 'unreadable data',
    });
  }
  const basicConstraints = certificate.getExtension(lib.BasicConstraintsExtension);
  if (!basicConstraints?.ca) {
    throw new InvalidArgumentError({
      field: `${source} certificate`,
      expected: 'a CA certificate (basicConstraints CA:TRUE)',
      received: `a leaf certificate for ${certificate.subject}`,
    });
  }
  const privateKey = await privateKeyFromPem(pem.keyPem, `${source} key`);
  if (!keyMatchesCertificate(privateKey, certificate)) {
    throw new InvalidArgumentError({
      field: `${source} key`,
      expected: `the private key of ${certificate.subject}`,
      received: 'a different key',
    });
  }
  return { certPem: certificate.toString('pem'), keyPem: pem.keyPem, certificate, privateKey };
}

/** Loads a CA from a PEM certificate file and a PEM key file; see {@link certificateAuthorityFromPem}. */
export async function loadCertificateAuthority(paths: {
  cert: string;
  key: string;
}): Promise<CertificateAuthority> {
  const [certPem, keyPem] = await Promise.all([
    readFile(paths.cert, 'utf8'),
    readFile(paths.key, 'utf8'),
  ]);
  return certificateAuthorityFromPem({ certPem, keyPem }, `${paths.cert} / ${paths.key}`);
}

/** True when `privateKey` is the private half of the certificate's public key. */
export function keyMatchesCertificate(
  privateKey: webcrypto.CryptoKey,
  certificate: x509.X509Certificate,
): boolean {
  return new X509Certificate(certificate.toString('pem')).checkPrivateKey(
    KeyObject.from(privateKey),
  );
}
