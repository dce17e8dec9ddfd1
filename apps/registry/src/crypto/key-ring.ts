import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile, rename, mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FailedPreconditionError, InvalidArgumentError, DataLossError } from '@verdict/errors';

/** AES-256 key length in bytes, for key-encryption keys and data keys alike. */
export const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** A data key wrapped (AES-256-GCM) under one key-encryption key. */
export interface WrappedKey {
  readonly keyId: string;
  /** Random per wrap: a KEK wraps one key per blob, far below GCM's random-nonce limit. */
  readonly nonce: Uint8Array;
  /** Encrypted data key followed by its 16-byte tag. */
  readonly wrapped: Uint8Array;
}

/** Key-encryption keys by id, one of them active for new wraps. A KMS can replace it later. */
export interface KeyRing {
  readonly activeKeyId: string;
  readonly keyIds: readonly string[];
  /** Wraps `dataKey` under `keyId` (default the active key), bound to `context` (the blob id). */
  wrap(dataKey: Uint8Array, context: string, keyId?: string): WrappedKey;
  /**
   * Unwraps a data key.
   * @throws FailedPreconditionError when the key id is not in the ring (a retired key)
   * @throws DataLossError when the wrapped key does not authenticate
   */
  unwrap(key: WrappedKey, context: string): Buffer;
}

/** Builds a ring from raw keys. */
export function createKeyRing(keys: ReadonlyMap<string, Uint8Array>, activeKeyId: string): KeyRing {
  for (const [id, key] of keys) {
    if (!KEY_ID.test(id)) {
      throw new InvalidArgumentError({ field: 'key id', expected: KEY_ID.source, received: id });
    }
    if (key.length !== KEY_BYTES) {
      throw new InvalidArgumentError({
        field: `key ${id}`,
        expected: `${KEY_BYTES} bytes`,
        received: `${key.length} bytes`,
      });
    }
  }
  if (!keys.has(activeKeyId)) {
    throw new InvalidArgumentError({
      field: 'activeKeyId',
      expected: `one of ${[...keys.keys()].join(', ')}`,
      received: activeKeyId,
    });
  }
  const kek = (keyId: string): Uint8Array => {
    const key = keys.get(keyId);
    if (key === undefined) {
      throw new FailedPreconditionError(
        `key-encryption key '${keyId}' is not configured (configured: ${[...keys.keys()].join(', ')}); ` +
          'add it back or re-wrap the data keys it protects',
      );
    }
    return key;
  };
  const aad = (keyId: string, context: string) => Buffer.from(`verdict-dek\0${keyId}\0${context}`);
  return {
    activeKeyId,
    keyIds: [...keys.keys()],
    wrap(dataKey, context, keyId = activeKeyId) {
      const nonce = randomBytes(NONCE_BYTES);
      const cipher = createCipheriv('aes-256-gcm', kek(keyId), nonce, { authTagLength: TAG_BYTES });
      cipher.setAAD(aad(keyId, context));
      const wrapped = Buffer.concat([cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
      return { keyId, nonce, wrapped };
    },
    unwrap(key, context) {
      const decipher = createDecipheriv('aes-256-gcm', kek(key.keyId), key.nonce, {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(aad(key.keyId, context));
      const body = key.wrapped.subarray(0, key.wrapped.length - TAG_BYTES);
      decipher.setAuthTag(key.wrapped.subarray(key.wrapped.length - TAG_BYTES));
      try {
        return Buffer.concat([decipher.update(body), decipher.final()]);
      } catch (error) {
        throw new DataLossError(
          `the data key of ${context} does not authenticate under ${key.keyId}`,
          {
            cause: error,
          },
        );
      }
    },
  };
}

/** The JSON form of a key file: `{"activeKeyId": "k1", "keys": {"k1": "<base64 of 32 bytes>"}}`. */
interface KeyFile {
  activeKeyId: string;
  keys: Record<string, string>;
}

/**
 * Parses keys given inline, `id=base64[,id=base64...]` (the environment form); the active key is
 * `activeKeyId` or, when omitted, the last one listed.
 */
export function parseInlineKeys(spec: string, activeKeyId?: string): KeyRing {
  const keys = new Map<string, Uint8Array>();
  for (const part of spec
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) {
      throw new InvalidArgumentError({
        field: 'registry keys',
        expected: 'id=base64',
        received: part.slice(0, 16),
      });
    }
    keys.set(part.slice(0, eq), Buffer.from(part.slice(eq + 1), 'base64'));
  }
  return createKeyRing(keys, activeKeyId ?? [...keys.keys()].at(-1) ?? '');
}

/**
 * Reads a key file, creating it with one fresh random key (mode 0600) when it does not exist:
 * the development default. Production mounts a file (or sets the inline keys) from a secret.
 */
export async function loadKeyFile(path: string, activeKeyId?: string): Promise<KeyRing> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const initial: KeyFile = {
      activeKeyId: 'k1',
      keys: { k1: randomBytes(KEY_BYTES).toString('base64') },
    };
    await mkdir(dirname(path), { recursive: true });
    await writeFile(`${path}.tmp`, JSON.stringify(initial, null, 2), { mode: 0o600 });
    await rename(`${path}.tmp`, path);
    text = JSON.stringify(initial);
  }
  let parsed: KeyFile;
  try {
    parsed = JSON.parse(text) as KeyFile;
  } catch (error) {
    throw new InvalidArgumentError({
      field: `key file ${path}`,
      expected: 'JSON {"activeKeyId": ..., "keys": {id: base64}}',
      received: (error as Error).message,
    });
  }
  const keys = new Map(
    Object.entries(parsed.keys ?? {}).map(([id, b64]) => [id, Buffer.from(b64, 'base64')]),
  );
  return createKeyRing(keys, activeKeyId ?? parsed.activeKeyId);
}
