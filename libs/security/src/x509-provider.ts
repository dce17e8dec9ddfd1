import { webcrypto } from 'node:crypto';

/**
 * Node's WebCrypto. Every generator call passes it explicitly, so another library replacing
 * x509's global provider cannot change which implementation signs our certificates.
 */
export const nodeCrypto: webcrypto.Crypto = webcrypto;

type X509 = typeof import('@peculiar/x509');
let loaded: X509 | undefined;

/**
 * @peculiar/x509, loaded on first use rather than when this library is imported: only issuing
 * certificates needs it (the dev PKI, the CLI), a running service never does, and it costs
 * memory in every process that loads it (docs/decisions.md#measured-costs-behind-code-choices).
 */
export function x509Library(): X509 {
  if (loaded === undefined) {
    // x509 resolves its crypto provider through tsyringe, which needs the Reflect metadata
    // polyfill loaded before the library itself. A lazy load has to be a require here: this
    // package is CommonJS, and jest runs it without native import().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require('reflect-metadata');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    loaded = require('@peculiar/x509') as X509;
    loaded.cryptoProvider.set(nodeCrypto);
  }
  return loaded;
}
