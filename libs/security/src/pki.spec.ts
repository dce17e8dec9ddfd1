import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import { spiffeIdFromCertificate } from './certificate-identity';
import { DEV_SERVICES, initDevPki } from './pki';

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

async function certificate(path: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(path));
}

describe('initDevPki', () => {
  let root: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'verdict-pki-'));
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('creates a CA, the five service certificates and the developer client certificate', async () => {
    const dir = join(root, 'fresh', '.verdict');
    const pki = await initDevPki({ dir });

    expect(Object.keys(pki.services)).toEqual([...DEV_SERVICES]);
    expect(pki.trustDomain).toBe('verdict.local');
    expect((await readdir(dir)).sort()).toEqual(
      ['ca', ...DEV_SERVICES, 'developer'].flatMap((name) => [`${name}.key`, `${name}.pem`]).sort(),
    );
    expect(pki.created).toHaveLength(14);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);

    const ca = await certificate(pki.caCert);
    expect(ca.ca).toBe(true);
    for (const [name, paths] of Object.entries(pki.services)) {
      const leaf = await certificate(paths.cert);
      expect(leaf.verify(ca.publicKey)).toBe(true);
      expect(leaf.ca).toBe(false);
      expect(spiffeIdFromCertificate(leaf)).toBe(`spiffe://verdict.local/ns/default/sa/${name}`);
      expect(leaf.checkHost('localhost')).toBe('localhost');
      expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
      expect(leaf.checkIP('::1')).toBe('::1');
      expect(leaf.keyUsage).toEqual([SERVER_AUTH, CLIENT_AUTH]);
      expect(leaf.checkPrivateKey(createPrivateKey(await readFile(paths.key)))).toBe(true);
    }
    const client = await certificate(pki.client.cert);
    expect(spiffeIdFromCertificate(client)).toBe('spiffe://verdict.local/ns/default/sa/developer');
    expect(client.keyUsage).toEqual([CLIENT_AUTH]);
    expect(client.checkHost('localhost')).toBeUndefined();
    expect(client.verify(ca.publicKey)).toBe(true);

    for (const key of [
      pki.caKey,
      pki.client.key,
      ...Object.values(pki.services).map((p) => p.key),
    ]) {
      expect((await stat(key)).mode & 0o777).toBe(0o600);
      expect(await readFile(key, 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    }
  });

  it('is idempotent: a second run keeps every file', async () => {
    const dir = join(root, 'idempotent');
    const first = await initDevPki({ dir });
    const before = await readFile(first.services.router.cert, 'utf8');
    const second = await initDevPki({ dir });
    expect(second.created).toEqual([]);
    expect(await readFile(second.services.router.cert, 'utf8')).toBe(before);
  });

  it('replaces only what is missing or invalid, and everything after a new CA', async () => {
    const dir = join(root, 'repair');
    const pki = await initDevPki({ dir });
    const auditBefore = await readFile(pki.services.audit.cert, 'utf8');

    await rm(pki.services.router.key);
    await writeFile(pki.services.registry.cert, 'garbage');
    const repaired = await initDevPki({ dir });
    expect([...repaired.created].sort()).toEqual(
      [
        pki.services.router.cert,
        pki.services.router.key,
        pki.services.registry.cert,
        pki.services.registry.key,
      ].sort(),
    );
    expect(await readFile(pki.services.audit.cert, 'utf8')).toBe(auditBefore);

    await rm(pki.caKey);
    const renewed = await initDevPki({ dir });
    expect(renewed.created).toHaveLength(14);
    const ca = await certificate(pki.caCert);
    expect((await certificate(pki.services.audit.cert)).verify(ca.publicKey)).toBe(true);
  });

  it('replaces a certificate that expires within renewBeforeDays', async () => {
    const dir = join(root, 'renew');
    await initDevPki({ dir, validityDays: 3 });
    expect((await initDevPki({ dir, validityDays: 3, renewBeforeDays: 1 })).created).toEqual([]);
    const renewed = await initDevPki({ dir, renewBeforeDays: 7 });
    expect(renewed.created).toHaveLength(12);
  });

  it('recreates everything with force, and honours trust domain, namespace, services and client', async () => {
    const dir = join(root, 'custom');
    const pki = await initDevPki({
      dir,
      trustDomain: 'example.org',
      namespace: 'ml',
      services: ['router'],
      clientName: 'ci',
    });
    expect(Object.keys(pki.services)).toEqual(['router']);
    expect(spiffeIdFromCertificate(await certificate(pki.client.cert))).toBe(
      'spiffe://example.org/ns/ml/sa/ci',
    );
    const caBefore = await readFile(pki.caCert, 'utf8');
    const forced = await initDevPki({
      dir,
      trustDomain: 'example.org',
      namespace: 'ml',
      services: ['router'],
      clientName: 'ci',
      force: true,
    });
    expect(forced.created).toHaveLength(6);
    expect(await readFile(pki.caCert, 'utf8')).not.toBe(caBefore);
  });

  it('reissues a certificate whose identity no longer matches the options', async () => {
    const dir = join(root, 'identity');
    await initDevPki({ dir, services: ['router'] });
    const moved = await initDevPki({ dir, services: ['router'], namespace: 'staging' });
    expect(moved.created).toHaveLength(4);
    expect(spiffeIdFromCertificate(await certificate(moved.services.router.cert))).toBe(
      'spiffe://verdict.local/ns/staging/sa/router',
    );
  });

  it('refuses names that are not path segments, collide with the CA or repeat', async () => {
    const dir = join(root, 'invalid');
    await expect(initDevPki({ dir, services: ['bad name'] })).rejects.toThrow(InvalidArgumentError);
    await expect(initDevPki({ dir, services: ['ca'] })).rejects.toThrow(
      "services[0]: expected a name other than 'ca'",
    );
    await expect(initDevPki({ dir, services: ['router'], clientName: 'router' })).rejects.toThrow(
      'clientName: expected a name other than',
    );
  });
});
