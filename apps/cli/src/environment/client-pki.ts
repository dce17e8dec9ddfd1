import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { MutualTlsFiles } from '@verdict/grpc-kit';

/** A client's mutual TLS files laid out in one folder. */
interface PkiLayout {
  /** Where the layout comes from, for messages. */
  name: string;
  ca: string;
  cert: string;
  key: string;
}

/**
 * The layouts a `--pki` folder may have: what `verdict pki init` writes, and a cert-manager
 * Secret mounted as a folder (its keys `ca.crt`, `tls.crt`, `tls.key` become file names).
 */
export const PKI_LAYOUTS: readonly PkiLayout[] = [
  { name: 'verdict pki init', ca: 'ca.pem', cert: 'developer.pem', key: 'developer.key' },
  { name: 'a cert-manager Secret', ca: 'ca.crt', cert: 'tls.crt', key: 'tls.key' },
];

/** The client certificate, its key or the CA is missing: names what was looked for. */
export class PkiNotFoundError extends Error {
  override readonly name = 'PkiNotFoundError';
}

const describeLayout = (layout: PkiLayout) =>
  `${layout.ca}, ${layout.cert} and ${layout.key} (${layout.name})`;

/**
 * The mutual TLS files in `dir`, in the first layout whose certificate is there; every file is
 * checked here because grpc-js only says "Failed to load credentials" and names none.
 */
export function clientPkiFiles(dir: string): MutualTlsFiles {
  const layout = PKI_LAYOUTS.find((candidate) => existsSync(join(dir, candidate.cert)));
  if (layout === undefined) {
    throw new PkiNotFoundError(
      `no client certificate in ${dir}: expected ${PKI_LAYOUTS.map(describeLayout).join(', or ')}`,
    );
  }
  const files = {
    mode: 'mtls' as const,
    caFile: join(dir, layout.ca),
    certFile: join(dir, layout.cert),
    keyFile: join(dir, layout.key),
  };
  const missing = [files.caFile, files.keyFile].filter((file) => !existsSync(file));
  if (missing.length > 0) {
    throw new PkiNotFoundError(
      `${missing.join(' and ')} missing beside ${files.certFile} (expected ${describeLayout(layout)})`,
    );
  }
  return files;
}
