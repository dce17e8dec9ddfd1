import { fromBinary } from '@bufbuild/protobuf';
import type { AuditedAccess } from '@verdict/audit-client';
import { DataLossError, InvalidArgumentError, NotFoundError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import type { Store } from '@verdict/store';
import type { BlobStore } from '../blob/blob-store';
import type { KeyRing, WrappedKey } from '../crypto/key-ring';
import { createAliasLog, type AliasLog } from './alias-log';
import { checkLabel, pad20 } from './names';

type Model = registryV1.Model;
type ModelVersion = registryV1.ModelVersion;

/** Options of `createRegistry`. */
export interface RegistryOptions {
  store: Store;
  blobs: BlobStore;
  keys: KeyRing;
  access: AuditedAccess;
  /** @default Date.now */
  now?: () => number;
  /**
   * Aliases whose moves need `model:deploy:production` as well as `model:deploy`.
   * @default ['production']
   */
  protectedAliases?: readonly string[];
  /** @default 100 */
  defaultPageSize?: number;
  /** @default 1000 */
  maxPageSize?: number;
  /**
   * Largest graph input/output description or metadata entry read from an uploaded model.
   * @default 4 MiB
   */
  maxOnnxFieldBytes?: number;
}

/** Which version: a number or an alias. */
export type VersionSelector = { version: bigint } | { alias: string };

/**
 * The store's key layout: `model/<name>` holds a Model, `version/<model>/<20-digit number>` a
 * ModelVersion, `digest/<model>/<sha256>` the number of the version holding those bytes, and
 * `blobkey/<sha256>` the wrapped data key of a blob.
 */
export const KEYS = {
  model: (name: string) => `model/${name}`,
  modelPrefix: 'model/',
  version: (model: string, n: bigint) => `version/${model}/${pad20(n)}`,
  versionPrefix: (model: string) => `version/${model}/`,
  allVersions: 'version/',
  digest: (model: string, sha: string) => `digest/${model}/${sha}`,
  blobKey: (sha: string) => `blobkey/${sha}`,
  blobKeyPrefix: 'blobkey/',
};

interface StoredKey {
  keyId: string;
  nonce: string;
  wrapped: string;
}

/** A wrapped data key as stored under `blobkey/<sha256>`. */
export const encodeKey = (key: WrappedKey) =>
  Buffer.from(
    JSON.stringify({
      keyId: key.keyId,
      nonce: Buffer.from(key.nonce).toString('base64'),
      wrapped: Buffer.from(key.wrapped).toString('base64'),
    } satisfies StoredKey),
  );

/** Reads what {@link encodeKey} stored. */
export const decodeKey = (bytes: Uint8Array): WrappedKey => {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredKey;
  return {
    keyId: stored.keyId,
    nonce: Buffer.from(stored.nonce, 'base64'),
    wrapped: Buffer.from(stored.wrapped, 'base64'),
  };
};

export const decodeModel = (bytes: Uint8Array) => fromBinary(registryV1.ModelSchema, bytes);
export const decodeVersion = (bytes: Uint8Array) =>
  fromBinary(registryV1.ModelVersionSchema, bytes);

/**
 * What every registry operation works over: the options with their defaults applied, the alias
 * log, and the reads the operations share. Each operation module takes it as its first argument.
 */
export interface RegistryContext {
  readonly store: Store;
  readonly blobs: BlobStore;
  readonly keys: KeyRing;
  readonly access: AuditedAccess;
  readonly now: () => number;
  readonly protectedAliases: ReadonlySet<string>;
  readonly maxOnnxFieldBytes: number | undefined;
  readonly aliases: AliasLog;
  /** The page size to serve for a requested one (0 or unset: the default), capped. */
  pageSize(requested: number | undefined): number;
  /** @throws NotFoundError when the model does not exist */
  loadModel(name: string): Promise<{ model: Model; entryVersion: number }>;
  /** @throws NotFoundError when the version does not exist */
  loadVersion(
    model: string,
    number: bigint,
  ): Promise<{ version: ModelVersion; entryVersion: number }>;
  /** The version a number or an alias names. @throws NotFoundError, InvalidArgumentError */
  resolve(model: string, selector: VersionSelector): Promise<ModelVersion>;
  /** Adds the current key id, which re-wrapping changes without touching the version record. */
  withKeyId(version: ModelVersion): Promise<ModelVersion>;
  /** The unwrapped data key of a blob. @throws DataLossError when it is missing */
  dataKeyOf(sha: string): Promise<Buffer>;
}

/** Applies the defaults and builds the shared reads over the store. */
export function createRegistryContext(options: RegistryOptions): RegistryContext {
  const { store, keys } = options;
  const now = options.now ?? Date.now;
  const defaultPageSize = options.defaultPageSize ?? 100;
  const maxPageSize = options.maxPageSize ?? 1000;
  const aliases = createAliasLog({ store, now });

  async function withKeyId(version: ModelVersion): Promise<ModelVersion> {
    const entry = await store.get(KEYS.blobKey(version.sha256));
    if (entry !== undefined) version.keyId = decodeKey(entry.value).keyId;
    return version;
  }

  async function loadVersion(model: string, number: bigint) {
    const entry = await store.get(KEYS.version(model, number));
    if (entry === undefined) {
      throw new NotFoundError({ kind: 'version', resource: `${model} version ${number}` });
    }
    return { version: await withKeyId(decodeVersion(entry.value)), entryVersion: entry.version };
  }

  return {
    store,
    blobs: options.blobs,
    keys,
    access: options.access,
    now,
    protectedAliases: new Set(options.protectedAliases ?? ['production']),
    maxOnnxFieldBytes: options.maxOnnxFieldBytes,
    aliases,
    pageSize: (requested) =>
      Math.min(
        requested === undefined || requested === 0 ? defaultPageSize : requested,
        maxPageSize,
      ),
    async loadModel(name) {
      checkLabel('model', name);
      const entry = await store.get(KEYS.model(name));
      if (entry === undefined) throw new NotFoundError({ kind: 'model', resource: name });
      return { model: decodeModel(entry.value), entryVersion: entry.version };
    },
    loadVersion,
    async resolve(model, selector) {
      if ('alias' in selector) {
        checkLabel('alias', selector.alias);
        const alias = await aliases.get(model, selector.alias);
        if (alias === undefined) {
          const known = (await aliases.list(model)).map((a) => a.name);
          throw new NotFoundError({
            kind: 'alias',
            resource: `${model}@${selector.alias}`,
            available: known,
          });
        }
        return (await loadVersion(model, alias.version)).version;
      }
      if (selector.version === 0n) {
        throw new InvalidArgumentError({
          field: 'version',
          expected: 'a version number >= 1 or an alias',
          received: '0',
        });
      }
      return (await loadVersion(model, selector.version)).version;
    },
    withKeyId,
    async dataKeyOf(sha) {
      const entry = await store.get(KEYS.blobKey(sha));
      if (entry === undefined) throw new DataLossError(`the data key of blob ${sha} is missing`);
      return keys.unwrap(decodeKey(entry.value), sha);
    },
  };
}
