import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import {
  ChannelCredentials,
  ServerCredentials,
  credentials as grpcCredentials,
  experimental,
} from '@grpc/grpc-js';
import type { ServiceConfig } from '@verdict/config';
import { spiffeIdFromCertificate } from '@verdict/security';
import { changedOnly } from './changed-only-provider';

/** Files of a mutual-TLS identity. They are re-read on change, so rotation needs no restart. */
export interface MutualTlsFiles {
  mode: 'mtls';
  /** PEM bundle of the certificate authorities whose peers are accepted. */
  caFile: string;
  /** PEM certificate (chain) this process presents. */
  certFile: string;
  /** PEM private key of that certificate. */
  keyFile: string;
  /**
   * How often the files are checked for change, in milliseconds. Rotate by swapping the files
   * atomically (a directory symlink swap, as Kubernetes does for mounted secrets).
   * @default 5000
   */
  reloadIntervalMs?: number;
}

/**
 * Mesh mode: a sidecar terminates mutual TLS, this process speaks plaintext inside the pod and
 * takes the peer identity from `x-forwarded-client-cert`.
 */
export interface MeshTransport {
  mode: 'mesh';
}

export type TransportOptions = MutualTlsFiles | MeshTransport;

const DEFAULT_RELOAD_INTERVAL_MS = 5000;

/**
 * The transport of a service's own identity, from its `tls` settings: what its server listens
 * with and what its clients call other services with.
 * @throws Error when mtls mode lacks a file (the config schema refuses that first)
 */
export function transportOfConfig(tls: ServiceConfig['tls']): TransportOptions {
  if (tls.mode === 'mesh') return { mode: 'mesh' };
  const { caFile, certFile, keyFile } = tls;
  if (caFile === undefined || certFile === undefined || keyFile === undefined) {
    throw new Error('tls.caFile, tls.certFile and tls.keyFile are required in mtls mode');
  }
  return { mode: 'mtls', caFile, certFile, keyFile };
}

function watchFiles(files: MutualTlsFiles) {
  const refreshIntervalMs = files.reloadIntervalMs ?? DEFAULT_RELOAD_INTERVAL_MS;
  return {
    identity: changedOnly(
      new experimental.FileWatcherCertificateProvider({
        certificateFile: files.certFile,
        privateKeyFile: files.keyFile,
        refreshIntervalMs,
      }),
    ),
    ca: changedOnly(
      new experimental.FileWatcherCertificateProvider({
        caCertificateFile: files.caFile,
        refreshIntervalMs,
      }),
    ),
  };
}

/** Server credentials: mutual TLS with client certificates required, or plaintext in mesh mode. */
export function serverCredentials(transport: TransportOptions): ServerCredentials {
  if (transport.mode === 'mesh') return ServerCredentials.createInsecure();
  const providers = watchFiles(transport);
  // grpc-js takes the identity provider first, whatever its parameter names say (PITFALLS.md).
  return experimental.createCertificateProviderServerCredentials(
    providers.identity,
    providers.ca,
    true,
  );
}

/** Client transport: mutual TLS (optionally pinning the server's SPIFFE id), or plaintext to a sidecar. */
export type ClientTransportOptions =
  | (MutualTlsFiles & {
      /** When set, the server certificate must carry exactly this spiffe:// URI SAN. */
      serverSpiffeId?: string;
    })
  | MeshTransport;

export function channelCredentials(transport: ClientTransportOptions): ChannelCredentials {
  if (transport.mode === 'mesh') return grpcCredentials.createInsecure();
  const providers = watchFiles(transport);
  const expected = transport.serverSpiffeId;
  return experimental.createCertificateProviderChannelCredentials(
    providers.ca,
    providers.identity,
    {
      checkServerIdentity: (host: string, certificate: PeerCertificate) => {
        // Node's default check ignores URI SANs, so the SPIFFE id is checked here, after the host.
        const hostError = checkServerIdentity(host, certificate);
        if (hostError !== undefined || expected === undefined) return hostError;
        const actual = spiffeIdFromCertificate(certificate.raw);
        if (actual !== expected) {
          return new Error(
            `server identity: expected ${expected}, got ${actual ?? 'no SPIFFE id'}`,
          );
        }
        return undefined;
      },
    },
  );
}
