import { join, resolve } from 'node:path';
import type { MutualTlsFiles } from '@verdict/grpc-kit';

/** Where `verdict pki init` (and `npm start`) put the dev PKI. */
export const DEFAULT_PKI_DIR = '.verdict/pki';

/** Mutual TLS as the local user: the dev CA and the `developer` client certificate in `pkiDir`. */
export function developerTransport(pkiDir: string = DEFAULT_PKI_DIR): MutualTlsFiles {
  const dir = resolve(pkiDir);
  return {
    mode: 'mtls',
    caFile: join(dir, 'ca.pem'),
    certFile: join(dir, 'developer.pem'),
    keyFile: join(dir, 'developer.key'),
  };
}
