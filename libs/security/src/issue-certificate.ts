import { isIP } from 'node:net';
import { InvalidArgumentError } from '@verdict/errors';
import type { CertificateAuthority } from './certificate-authority';
import { generateKeyPair, privateKeyToPem, SIGNING_ALGORITHM } from './keys';
import { parseSpiffeId } from './spiffe';
import { randomSerialNumber, validityWindow } from './validity';
import type * as x509 from '@peculiar/x509';
import { nodeCrypto, x509Library } from './x509-provider';

/** Options of {@link issueCertificate}. */
export interface IssueCertificateOptions {
  /** The CA that signs the certificate. */
  ca: CertificateAuthority;
  /**
   * The SPIFFE ID carried as the certificate's URI SAN (an X.509-SVID carries exactly one).
   * @default none
   */
  spiffeId?: string;
  /**
   * DNS SANs, so standard clients can verify the host name.
   * @default []
   */
  dnsNames?: string[];
  /**
   * IP address SANs (IPv4 or IPv6).
   * @default []
   */
  ipAddresses?: string[];
  /**
   * Subject common name (informational; peers identify by SAN).
   * @default the SPIFFE ID's service account, else its last path segment, else the first DNS
   * name or IP address
   */
  commonName?: string;
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
  /**
   * Validity in days from now, used when `notAfter` is not given.
   * @default 365
   */
  validityDays?: number;
  /**
   * Whether the certificate may authenticate a TLS server (extendedKeyUsage serverAuth).
   * @default true
   */
  serverAuth?: boolean;
  /**
   * Whether the certificate may authenticate a TLS client (extendedKeyUsage clientAuth).
   * @default true
   */
  clientAuth?: boolean;
}

/** A certificate issued by {@link issueCertificate}, with its private key. */
export interface IssuedCertificate {
  /** The leaf certificate, PEM. */
  readonly certPem: string;
  /** Its private key, PKCS#8 PEM. */
  readonly keyPem: string;
  /** Hexadecimal serial number. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

const DNS_NAME =
  /^(\*\.)?([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

function withDefaults(options: IssueCertificateOptions) {
  const spiffe =
    options.spiffeId === undefined ? undefined : parseSpiffeId(options.spiffeId, 'spiffeId');
  const dnsNames = options.dnsNames ?? [];
  const ipAddresses = options.ipAddresses ?? [];
  dnsNames.forEach((name, index) => {
    if (!DNS_NAME.test(name)) {
      throw new InvalidArgumentError({
        field: `dnsNames[${index}]`,
        expected: 'a DNS name',
        received: JSON.stringify(name),
      });
    }
  });
  ipAddresses.forEach((address, index) => {
    if (isIP(address) === 0) {
      throw new InvalidArgumentError({
        field: `ipAddresses[${index}]`,
        expected: 'an IPv4 or IPv6 address',
        received: JSON.stringify(address),
      });
    }
  });
  const lastSegment = spiffe?.path.split('/').pop() || undefined;
  const commonName =
    options.commonName ?? spiffe?.serviceAccount ?? lastSegment ?? dnsNames[0] ?? ipAddresses[0];
  if (commonName === undefined) {
    throw new InvalidArgumentError({
      field: 'issueCertificate options',
      expected: 'at least one of spiffeId, dnsNames, ipAddresses',
      received: 'none',
    });
  }
  return {
    ca: options.ca,
    spiffeId: spiffe?.id,
    dnsNames,
    ipAddresses,
    commonName,
    validityDays: options.validityDays ?? 365,
    notBefore: options.notBefore,
    notAfter: options.notAfter,
    serverAuth: options.serverAuth ?? true,
    clientAuth: options.clientAuth ?? true,
  };
}

/**
 * Issues a leaf certificate on a fresh ECDSA P-256 key, shaped as an X.509-SVID: not a CA,
 * keyUsage digitalSignature (critical), the requested extendedKeyUsages, and SANs for the
 * SPIFFE ID, DNS names and IP addresses.
 *
 * @throws InvalidArgumentError for an invalid SPIFFE ID, DNS name or IP, or no SAN at all
 */
export async function issueCertificate(
  options: IssueCertificateOptions,
): Promise<IssuedCertificate> {
  const settings = withDefaults(options);
  const lib = x509Library();
  const keys = await generateKeyPair();
  const { notBefore, notAfter } = validityWindow(settings);
  const serialNumber = randomSerialNumber();
  const usages = [
    ...(settings.serverAuth ? [lib.ExtendedKeyUsage.serverAuth] : []),
    ...(settings.clientAuth ? [lib.ExtendedKeyUsage.clientAuth] : []),
  ];
  const names: x509.JsonGeneralName[] = [
    ...(settings.spiffeId ? [{ type: 'url' as const, value: settings.spiffeId }] : []),
    ...settings.dnsNames.map((value) => ({ type: 'dns' as const, value })),
    ...settings.ipAddresses.map((value) => ({ type: 'ip' as const, value })),
  ];
  const certificate = await lib.X509CertificateGenerator.create(
    {
      serialNumber,
      subject: [{ CN: [settings.commonName] }],
      issuer: settings.ca.certificate.subject,
      notBefore,
      notAfter,
      publicKey: keys.publicKey,
      signingKey: settings.ca.privateKey,
      signingAlgorithm: SIGNING_ALGORITHM,
      extensions: [
        new lib.BasicConstraintsExtension(false, undefined, true),
        new lib.KeyUsagesExtension(lib.KeyUsageFlags.digitalSignature, true),
        ...(usages.length > 0 ? [new lib.ExtendedKeyUsageExtension(usages, false)] : []),
        new lib.SubjectAlternativeNameExtension(names, false),
        await authorityKeyIdentifier(lib, settings.ca),
        await lib.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
  return {
    certPem: certificate.toString('pem'),
    keyPem: privateKeyToPem(keys.privateKey),
    serialNumber,
    notBefore,
    notAfter,
  };
}

/**
 * The CA's own subject key identifier when it has one, so chain building matches a CA made by
 * other tools (which may derive key identifiers differently); otherwise one from its key.
 */
async function authorityKeyIdentifier(
  lib: typeof x509,
  ca: CertificateAuthority,
): Promise<x509.AuthorityKeyIdentifierExtension> {
  const subjectKeyId = ca.certificate.getExtension(lib.SubjectKeyIdentifierExtension)?.keyId;
  return subjectKeyId
    ? new lib.AuthorityKeyIdentifierExtension(subjectKeyId, false)
    : lib.AuthorityKeyIdentifierExtension.create(ca.certificate.publicKey, false, nodeCrypto);
}
