import { X509Certificate, createPrivateKey } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import { spiffeIdFromCertificate } from './certificate-identity';
import {
  createCertificateAuthority,
  loadCertificateAuthority,
  type CertificateAuthority,
} from './certificate-authority';
import { issueCertificate } from './issue-certificate';
import { PRIVATE_KEY_FILE_MODE, writeCertificateFiles } from './pem-files';
import { serviceSpiffeId } from './spiffe';
import { DAY_MS } from './validity';

/** The five Verdict services, each of which gets a certificate from the dev PKI. */
export const DEV_SERVICES: readonly string[] = [
  'router',
  'model-server',
  'registry',
  'experiment-analyzer',
  'audit',
];

/** Host names every dev service certificate carries, so standard gRPC clients verify the host. */
const LOCAL_DNS_NAMES = ['localhost'];
const LOCAL_IP_ADDRESSES = ['127.0.0.1', '::1'];

/** Options of {@link initDevPki}. */
export interface DevPkiOptions {
  /** Where the files live (created with mode 0700 if missing). */
  dir: string;
  /**
   * SPIFFE trust domain.
   * @default 'verdict.local'
   */
  trustDomain?: string;
  /**
   * Kubernetes-style namespace in the SPIFFE IDs.
   * @default 'default'
   */
  namespace?: string;
  /**
   * Services that get a server+client certificate.
   * @default DEV_SERVICES (router, model-server, registry, experiment-analyzer, audit)
   */
  services?: readonly string[];
  /**
   * Service account of the local user's client certificate.
   * @default 'developer'
   */
  clientName?: string;
  /**
   * Validity of service and client certificates, in days.
   * @default 365
   */
  validityDays?: number;
  /**
   * Validity of the CA, in days.
   * @default 3650
   */
  caValidityDays?: number;
  /**
   * A certificate that expires within this many days is replaced rather than kept.
   * @default 7
   */
  renewBeforeDays?: number;
  /**
   * Recreate everything, even files that are valid.
   * @default false
   */
  force?: boolean;
}

/** Paths of a certificate and its private key. */
export interface CertificatePaths {
  readonly cert: string;
  readonly key: string;
}

/** The files of a dev PKI. */
export interface DevPki {
  readonly dir: string;
  readonly trustDomain: string;
  readonly namespace: string;
  /** The CA certificate: the trust bundle every service and client is given. */
  readonly caCert: string;
  readonly caKey: string;
  readonly services: Readonly<Record<string, CertificatePaths>>;
  /** The local user's client certificate. */
  readonly client: CertificatePaths;
  /** The files this call wrote; empty when everything was already in place. */
  readonly created: readonly string[];
}

function withDefaults(options: DevPkiOptions) {
  const settings = {
    dir: options.dir,
    trustDomain: options.trustDomain ?? 'verdict.local',
    namespace: options.namespace ?? 'default',
    services: [...(options.services ?? DEV_SERVICES)],
    clientName: options.clientName ?? 'developer',
    validityDays: options.validityDays ?? 365,
    caValidityDays: options.caValidityDays ?? 3650,
    renewBeforeDays: options.renewBeforeDays ?? 7,
    force: options.force ?? false,
  };
  const names = [...settings.services, settings.clientName];
  names.forEach((name, index) => {
    const field = index < settings.services.length ? `services[${index}]` : 'clientName';
    // Validates the name as a SPIFFE path segment, which also makes it a safe file name.
    serviceSpiffeId(settings.trustDomain, settings.namespace, name);
    if (name === 'ca' || names.indexOf(name) !== index) {
      throw new InvalidArgumentError({
        field,
        expected: "a name other than 'ca' and unique among services and clientName",
        received: JSON.stringify(name),
      });
    }
  });
  return settings;
}

/**
 * Creates whatever is missing of a development PKI under `dir`: a CA (`ca.pem`, `ca.key`), per
 * service `<service>.pem`/`.key` (URI SAN `spiffe://<td>/ns/<ns>/sa/<service>`, DNS localhost,
 * IP 127.0.0.1 and ::1, serverAuth and clientAuth), and the local user's client certificate
 * `<clientName>.pem`/`.key` (clientAuth). Files that exist and are valid (readable, issued by
 * this CA for the right identity, key matching, not about to expire) are kept; anything else is
 * replaced. A new CA means new certificates for everyone. Keys are PKCS#8 PEM, mode 0600.
 */
export async function initDevPki(options: DevPkiOptions): Promise<DevPki> {
  const settings = withDefaults(options);
  await mkdir(settings.dir, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const paths = (name: string): CertificatePaths => ({
    cert: join(settings.dir, `${name}.pem`),
    key: join(settings.dir, `${name}.key`),
  });
  const renewAfter = new Date(Date.now() + settings.renewBeforeDays * DAY_MS);

  const caPaths = paths('ca');
  let ca = settings.force ? undefined : await loadUsableCa(caPaths, renewAfter);
  const caIsNew = ca === undefined;
  if (ca === undefined) {
    ca = await createCertificateAuthority({
      commonName: `Verdict development CA (${settings.trustDomain})`,
      validityDays: settings.caValidityDays,
    });
    await writeCertificateFiles(caPaths, ca);
    created.push(caPaths.cert, caPaths.key);
  } else {
    await chmod(caPaths.key, PRIVATE_KEY_FILE_MODE);
  }

  const leaves = [
    ...settings.services.map((name) => ({ name, server: true })),
    { name: settings.clientName, server: false },
  ];
  const leafPaths: Record<string, CertificatePaths> = {};
  for (const leaf of leaves) {
    const target = paths(leaf.name);
    leafPaths[leaf.name] = target;
    const spiffeId = serviceSpiffeId(settings.trustDomain, settings.namespace, leaf.name);
    const expected = { spiffeId, server: leaf.server, renewAfter, ca };
    if (!caIsNew && (await isUsableLeaf(target, expected))) {
      await chmod(target.key, PRIVATE_KEY_FILE_MODE);
      continue;
    }
    const issued = await issueCertificate({
      ca,
      spiffeId,
      ...(leaf.server ? { dnsNames: LOCAL_DNS_NAMES, ipAddresses: LOCAL_IP_ADDRESSES } : {}),
      validityDays: settings.validityDays,
      serverAuth: leaf.server,
      clientAuth: true,
    });
    await writeCertificateFiles(target, issued);
    created.push(target.cert, target.key);
  }

  const { [settings.clientName]: client, ...services } = leafPaths;
  return {
    dir: settings.dir,
    trustDomain: settings.trustDomain,
    namespace: settings.namespace,
    caCert: caPaths.cert,
    caKey: caPaths.key,
    services,
    client,
    created,
  };
}

async function loadUsableCa(
  paths: CertificatePaths,
  renewAfter: Date,
): Promise<CertificateAuthority | undefined> {
  try {
    const ca = await loadCertificateAuthority(paths);
    return ca.certificate.notAfter > renewAfter ? ca : undefined;
  } catch {
    return undefined;
  }
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function isUsableLeaf(
  paths: CertificatePaths,
  expected: { spiffeId: string; server: boolean; renewAfter: Date; ca: CertificateAuthority },
): Promise<boolean> {
  try {
    const [certPem, keyPem] = await Promise.all([
      readFile(paths.cert, 'utf8'),
      readFile(paths.key, 'utf8'),
    ]);
    const certificate = new X509Certificate(certPem);
    const caCertificate = new X509Certificate(expected.ca.certPem);
    const usages = certificate.keyUsage ?? [];
    return (
      certificate.verify(caCertificate.publicKey) &&
      certificate.checkPrivateKey(createPrivateKey(keyPem)) &&
      new Date(certificate.validTo) > expected.renewAfter &&
      spiffeIdFromCertificate(certificate) === expected.spiffeId &&
      usages.includes(CLIENT_AUTH) &&
      (!expected.server ||
        (usages.includes(SERVER_AUTH) &&
          LOCAL_DNS_NAMES.every((name) => certificate.checkHost(name) !== undefined) &&
          LOCAL_IP_ADDRESSES.every((address) => certificate.checkIP(address) !== undefined)))
    );
  } catch {
    return false;
  }
}
