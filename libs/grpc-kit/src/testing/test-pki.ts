import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createCertificateAuthority,
  initDevPki,
  issueCertificate,
  loadCertificateAuthority,
  type DevPki,
  type IssueCertificateOptions,
} from '@verdict/security';
import type { ClientTransportOptions, MutualTlsFiles } from '../credentials';

/** A throw-away PKI for kit tests: services `alpha` and `beta`, client `tester`. */
export interface TestPki {
  readonly dir: string;
  readonly pki: DevPki;
  server(name: 'alpha' | 'beta', reloadIntervalMs?: number): MutualTlsFiles;
  client(name?: string): ClientTransportOptions;
  /** Writes a certificate from this CA (or, with `foreignCa`, from another one) and returns its transport. */
  issueClient(
    name: string,
    options?: Partial<Omit<IssueCertificateOptions, 'ca'>> & { foreignCa?: boolean },
  ): Promise<ClientTransportOptions>;
  remove(): Promise<void>;
}

export async function createTestPki(): Promise<TestPki> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-kit-'));
  const pki = await initDevPki({ dir, services: ['alpha', 'beta'], clientName: 'tester' });
  const ca = await loadCertificateAuthority({ cert: pki.caCert, key: pki.caKey });
  return {
    dir,
    pki,
    server: (name, reloadIntervalMs) => ({
      mode: 'mtls',
      caFile: pki.caCert,
      certFile: pki.services[name].cert,
      keyFile: pki.services[name].key,
      reloadIntervalMs,
    }),
    client: (name = 'tester') => {
      const paths = name === 'tester' ? pki.client : pki.services[name];
      return { mode: 'mtls', caFile: pki.caCert, certFile: paths.cert, keyFile: paths.key };
    },
    async issueClient(name, options = {}) {
      const issuer = options.foreignCa
        ? await createCertificateAuthority({ commonName: 'Foreign CA' })
        : ca;
      const issued = await issueCertificate({
        spiffeId: `spiffe://verdict.local/ns/default/sa/${name}`,
        clientAuth: true,
        ...options,
        ca: issuer,
      });
      const certFile = join(dir, `${name}.pem`);
      const keyFile = join(dir, `${name}.key`);
      await writeFile(certFile, issued.certPem);
      await writeFile(keyFile, issued.keyPem, { mode: 0o600 });
      return { mode: 'mtls', caFile: pki.caCert, certFile, keyFile };
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
