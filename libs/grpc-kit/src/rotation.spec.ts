import { mkdir, readFile, rename, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { connect } from 'node:tls';
import { issueCertificate, loadCertificateAuthority } from '@verdict/security';
import { auditV1 } from '@verdict/proto';
import { createClient } from './client';
import { createServer, type KitServer } from './server';
import { createTestPki, type TestPki } from './testing/test-pki';
import { createTestAuditService } from './testing/test-service';

/** Serial number of the certificate a fresh TLS connection is shown. */
async function servedSerial(port: number, pki: TestPki): Promise<string> {
  const [ca, cert, key] = await Promise.all([
    readFile(pki.pki.caCert),
    readFile(pki.pki.client.cert),
    readFile(pki.pki.client.key),
  ]);
  return new Promise((resolve, reject) => {
    const socket = connect(
      { host: '127.0.0.1', port, ca, cert, key, ALPNProtocols: ['h2'], servername: 'localhost' },
      () => {
        const serial = socket.getPeerCertificate().serialNumber;
        socket.end();
        resolve(serial.toLowerCase());
      },
    );
    socket.on('error', reject);
  });
}

describe('certificate rotation', () => {
  let pki: TestPki;
  let server: KitServer;

  afterAll(async () => {
    await server?.shutdown({ graceMs: 1000 });
    await pki?.remove();
  });

  it('serves the new certificate on new connections while calls keep succeeding', async () => {
    pki = await createTestPki();
    const ca = await loadCertificateAuthority({ cert: pki.pki.caCert, key: pki.pki.caKey });
    const issue = () =>
      issueCertificate({
        ca,
        spiffeId: 'spiffe://verdict.local/ns/default/sa/alpha',
        dnsNames: ['localhost'],
        ipAddresses: ['127.0.0.1'],
        serverAuth: true,
        clientAuth: true,
      });
    const [first, second] = await Promise.all([issue(), issue()]);
    // Kubernetes mounts secrets as a directory reached through a symlink it swaps atomically.
    for (const [version, issued] of [
      ['v1', first],
      ['v2', second],
    ] as const) {
      await mkdir(join(pki.dir, version));
      await writeFile(join(pki.dir, version, 'tls.crt'), issued.certPem);
      await writeFile(join(pki.dir, version, 'tls.key'), issued.keyPem, { mode: 0o600 });
    }
    await symlink('v1', join(pki.dir, 'live'));
    server = createServer({
      name: 'rotation-test',
      transport: {
        mode: 'mtls',
        caFile: pki.pki.caCert,
        certFile: join(pki.dir, 'live', 'tls.crt'),
        keyFile: join(pki.dir, 'live', 'tls.key'),
        reloadIntervalMs: 100,
      },
      authorize: () => undefined,
    });
    server.add(auditV1.AuditService, createTestAuditService());
    const port = await server.start();
    const normalise = (serial: string) => serial.toLowerCase().replace(/^0+/, '');
    expect(normalise(await servedSerial(port, pki))).toBe(normalise(first.serialNumber));

    const longLived = createClient(auditV1.AuditService, {
      address: `127.0.0.1:${port}`,
      transport: pki.client(),
    });
    let calls = 0;
    let failures = 0;
    let running = true;
    const load = (async () => {
      while (running) {
        const fresh = calls % 10 === 0;
        const client = fresh
          ? createClient(auditV1.AuditService, {
              address: `127.0.0.1:${port}`,
              transport: pki.client(),
            })
          : longLived;
        try {
          await client.append({ records: [{ id: `call-${calls}` }] });
        } catch {
          failures++;
        } finally {
          calls++;
          if (fresh) client.close();
        }
      }
    })();

    await delay(300);
    await symlink('v2', join(pki.dir, 'live.next'));
    await rename(join(pki.dir, 'live.next'), join(pki.dir, 'live'));

    let served = '';
    for (let attempt = 0; attempt < 50 && served !== normalise(second.serialNumber); attempt++) {
      await delay(100);
      served = normalise(await servedSerial(port, pki));
    }
    await delay(300);
    running = false;
    await load;
    longLived.close();

    expect(served).toBe(normalise(second.serialNumber));
    expect(calls).toBeGreaterThan(20);
    expect(failures).toBe(0);
  }, 20_000);
});
