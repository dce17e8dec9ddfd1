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

/** Wraps `listener` so that it hears an update only when its bytes differ from the last one. */
function onlyChanges<U>(
  listener: (update: U | null) => void,
  bytesOf: (update: U) => Buffer[],
): (update: U | null) => void {
  let last: Fingerprint | undefined;
  return (update) => {
    const next = update === null ? null : bytesOf(update);
    if (sameBytes(last, next)) return;
    last = next;
    listener(update);
  };
}

/**
 * A certificate provider that passes on an update only when its bytes differ from the last one
 * it passed to that listener. grpc-js's file watcher reports every periodic read, changed or not,
 * and a server rebuilds its TLS context on each report: that cost every idle service CPU on
 * every read (docs/decisions.md#measured-costs-behind-code-choices) and reset TLS session
 * resumption. Rotation
 * still reaches listeners at the next read after the files change.
 */
export function changedOnly(inner: Provider): Provider {
  const ca = new Map<CaListener, CaListener>();
  const identity = new Map<IdentityListener, IdentityListener>();
  return {
    addCaCertificateListener(listener) {
      const filtered = onlyChanges(listener, (update) => [update.caCertificate]);
      ca.set(listener, filtered);
      inner.addCaCertificateListener(filtered);
    },
    removeCaCertificateListener(listener) {
      const filtered = ca.get(listener);
      ca.delete(listener);
      if (filtered !== undefined) inner.removeCaCertificateListener(filtered);
    },
    addIdentityCertificateListener(listener) {
      const filtered = onlyChanges(listener, (update) => [update.certificate, update.privateKey]);
      identity.set(listener, filtered);
      inner.addIdentityCertificateListener(filtered);
    },
    removeIdentityCertificateListener(listener) {
      const filtered = identity.get(listener);
      identity.delete(listener);
      if (filtered !== undefined) inner.removeIdentityCertificateListener(filtered);
    },
  };
}
