import type { experimental } from '@grpc/grpc-js';

type Provider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

/** Bytes of an update, for comparing one update with the next; null stays null. */
type Fingerprint = Buffer[] | null;

const sameBytes = (a: Fingerprint | undefined, b: Fingerprint) =>
  a !== undefined &&
  (a === null || b === null
    ? a === b
    : a.length === b.length && a.every((part, i) => part.equals(b[i])));

/**
 * A certificate provider that passes on an update only when its bytes differ from the last one
 * it passed to that listener. grpc-js's file watcher reports every periodic read, changed or not,
 * and a server rebuilds its TLS context on each report: with a reload every 5 s that cost every
 * idle service a few milliseconds of CPU per second and reset TLS session resumption. Rotation
 * still reaches listeners at the next read after the files change.
 */
export function changedOnly(inner: Provider): Provider {
  const ca = new Map<CaListener, CaListener>();
  const identity = new Map<IdentityListener, IdentityListener>();
  return {
    addCaCertificateListener(listener) {
      let last: Fingerprint | undefined;
      const filtered: CaListener = (update) => {
        const next = update === null ? null : [update.caCertificate];
        if (sameBytes(last, next)) return;
        last = next;
        listener(update);
      };
      ca.set(listener, filtered);
      inner.addCaCertificateListener(filtered);
    },
    removeCaCertificateListener(listener) {
      const filtered = ca.get(listener);
      if (filtered === undefined) return;
      ca.delete(listener);
      inner.removeCaCertificateListener(filtered);
    },
    addIdentityCertificateListener(listener) {
      let last: Fingerprint | undefined;
      const filtered: IdentityListener = (update) => {
        const next = update === null ? null : [update.certificate, update.privateKey];
        if (sameBytes(last, next)) return;
        last = next;
        listener(update);
      };
      identity.set(listener, filtered);
      inner.addIdentityCertificateListener(filtered);
    },
    removeIdentityCertificateListener(listener) {
      const filtered = identity.get(listener);
      if (filtered === undefined) return;
      identity.delete(listener);
      inner.removeIdentityCertificateListener(filtered);
    },
  };
}
