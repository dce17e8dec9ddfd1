// @peculiar/x509 resolves its crypto provider through tsyringe, which needs the Reflect metadata
// polyfill loaded before the library itself.
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';

/**
 * Node's WebCrypto. Every generator call passes it explicitly, so another library replacing
 * x509's global provider cannot change which implementation signs our certificates.
 */
export const nodeCrypto: webcrypto.Crypto = webcrypto;

x509.cryptoProvider.set(nodeCrypto);

export { x509 };
