import { KeyObject, createPrivateKey, type webcrypto } from 'node:crypto';
import { InvalidArgumentError } from '@verdict/errors';
import { nodeCrypto } from './x509-provider';

/** ECDSA on P-256 with SHA-256: fast to generate, and accepted by OpenSSL TLS and grpc-js. */
export const KEY_ALGORITHM: webcrypto.EcKeyGenParams = { name: 'ECDSA', namedCurve: 'P-256' };

/** The signature algorithm for every certificate this library issues. */
export const SIGNING_ALGORITHM: webcrypto.EcdsaParams = { name: 'ECDSA', hash: 'SHA-256' };

const CURVES_BY_OPENSSL_NAME: Record<string, string> = {
  prime256v1: 'P-256',
  secp384r1: 'P-384',
  secp521r1: 'P-521',
};

/** Generates a fresh, exportable ECDSA P-256 key pair. */
export async function generateKeyPair(): Promise<webcrypto.CryptoKeyPair> {
  return nodeCrypto.subtle.generateKey(KEY_ALGORITHM, true, ['sign', 'verify']);
}

/** Exports a private key as unencrypted PKCS#8 PEM, the form OpenSSL, grpc-js and Node read. */
export function privateKeyToPem(key: webcrypto.CryptoKey): string {
  return KeyObject.from(key).export({ type: 'pkcs8', format: 'pem' }).toString();
}

/**
 * Imports an ECDSA private key (PKCS#8 or SEC1 PEM) for signing. `source` names where it came
 * from in the error when the key is unreadable or not an EC key on a supported curve.
 */
export async function privateKeyFromPem(pem: string, source: string): Promise<webcrypto.CryptoKey> {
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(pem);
  } catch {
    throw new InvalidArgumentError({
      field: source,
      expected: 'a PEM private key',
      received: 'unreadable data',
    });
  }
  const curve = CURVES_BY_OPENSSL_NAME[keyObject.asymmetricKeyDetails?.namedCurve ?? ''];
  if (keyObject.asymmetricKeyType !== 'ec' || curve === undefined) {
    const received =
      keyObject.asymmetricKeyType === 'ec'
        ? `an EC key on ${keyObject.asymmetricKeyDetails?.namedCurve}`
        : `a ${keyObject.asymmetricKeyType} key`;
    throw new InvalidArgumentError({
      field: source,
      expected: 'an ECDSA key on P-256, P-384 or P-521',
      received,
    });
  }
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  return nodeCrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, true, [
    'sign',
  ]);
}
