import type { experimental } from '@grpc/grpc-js';
import { changedOnly } from './changed-only-provider';

/** A provider the test drives by hand, standing in for grpc-js's periodic file reads. */
function manualProvider() {
  const ca = new Set<experimental.CaCertificateUpdateListener>();
  const identity = new Set<experimental.IdentityCertificateUpdateListener>();
  return {
    provider: {
      addCaCertificateListener: (l) => ca.add(l),
      removeCaCertificateListener: (l) => ca.delete(l),
      addIdentityCertificateListener: (l) => identity.add(l),
      removeIdentityCertificateListener: (l) => identity.delete(l),
    } satisfies experimental.CertificateProvider,
    readCa: (update: experimental.CaCertificateUpdate | null) => ca.forEach((l) => l(update)),
    readIdentity: (update: experimental.IdentityCertificateUpdate | null) =>
      identity.forEach((l) => l(update)),
    listeners: () => ca.size + identity.size,
  };
}

describe('changedOnly certificate provider', () => {
  it('passes on the first read and then only reads whose bytes changed', () => {
    const files = manualProvider();
    const seen: (string | null)[] = [];
    changedOnly(files.provider).addIdentityCertificateListener((update) =>
      seen.push(update === null ? null : `${update.certificate}+${update.privateKey}`),
    );
    const read = (cert: string, key: string) =>
      files.readIdentity({ certificate: Buffer.from(cert), privateKey: Buffer.from(key) });
    read('c1', 'k1');
    read('c1', 'k1');
    read('c1', 'k1');
    read('c2', 'k2'); // rotated
    read('c2', 'k2');
    read('c2', 'k3'); // only the key changed
    files.readIdentity(null); // files unreadable
    files.readIdentity(null);
    read('c2', 'k3'); // back
    expect(seen).toEqual(['c1+k1', 'c2+k2', 'c2+k3', null, 'c2+k3']);
  });

  it('keeps each listener to its own history and lets listeners go', () => {
    const files = manualProvider();
    const provider = changedOnly(files.provider);
    const first: string[] = [];
    const second: string[] = [];
    const firstListener = (u: experimental.CaCertificateUpdate | null) =>
      first.push(String(u?.caCertificate));
    provider.addCaCertificateListener(firstListener);
    files.readCa({ caCertificate: Buffer.from('ca1') });
    provider.addCaCertificateListener((u) => second.push(String(u?.caCertificate)));
    files.readCa({ caCertificate: Buffer.from('ca1') });
    expect(first).toEqual(['ca1']);
    expect(second).toEqual(['ca1']);
    provider.removeCaCertificateListener(firstListener);
    expect(files.listeners()).toBe(1);
    files.readCa({ caCertificate: Buffer.from('ca2') });
    expect(first).toEqual(['ca1']);
    expect(second).toEqual(['ca1', 'ca2']);
  });
});
