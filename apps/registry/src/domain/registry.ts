import { randomBytes } from 'node:crypto';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import {
  AlreadyExistsError,
  DataLossError,
  FailedPreconditionError,
  InvalidArgumentError,
  NotFoundError,
} from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { VersionConflictError, type Store } from '@verdict/store';
import type { BlobStore } from '../blob/blob-store';
import { KEY_BYTES, type KeyRing, type WrappedKey } from '../crypto/key-ring';
import { createOnnxScanner } from '../onnx/onnx-scanner';
import type { Actor, AuditedAccess as Access } from '@verdict/audit-client';
import { createAliasLog, type AliasLog } from './alias-log';
import { checkLabel, checkSha256, decodePageToken, encodePageToken, pad20 } from './names';
import { watchAliases, type WatchEvent } from './watch';

type Model = registryV1.Model;
type ModelVersion = registryV1.ModelVersion;
type UploadHeader = registryV1.UploadHeader;

/** Options of {@link createRegistry}. */
export interface RegistryOptions {
  store: Store;
  blobs: BlobStore;
  keys: KeyRing;
  access: Access;
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

/** A started download: the header to send first, then the decrypted chunks. */
export interface Download {
  readonly version: ModelVersion;
  readonly sizeBytes: bigint;
  readonly offset: bigint;
  readonly chunks: AsyncGenerator<Buffer>;
}

/** The registry's operations, free of any transport. */
export interface Registry {
  createModel(
    actor: Actor,
    init: { name: string; team: string; description?: string; tags?: readonly string[] },
  ): Promise<Model>;
  getModel(actor: Actor, name: string): Promise<{ model: Model; aliases: registryV1.Alias[] }>;
  listModels(
    actor: Actor,
    query: { team?: string; tag?: string; pageSize?: number; pageToken?: string },
  ): Promise<{ models: Model[]; nextPageToken: string }>;
  uploadVersion(
    actor: Actor,
    header: UploadHeader,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<{ version: ModelVersion; created: boolean }>;
  getVersion(actor: Actor, model: string, selector: VersionSelector): Promise<ModelVersion>;
  listVersions(
    actor: Actor,
    query: { model: string; includeArchived?: boolean; pageSize?: number; pageToken?: string },
  ): Promise<{ versions: ModelVersion[]; nextPageToken: string }>;
  downloadVersion(
    actor: Actor,
    model: string,
    selector: VersionSelector,
    offset: bigint,
  ): Promise<Download>;
  setAlias(
    actor: Actor,
    request: { model: string; alias: string; version: bigint; expectedVersion?: bigint },
  ): Promise<{ alias: registryV1.Alias; move: registryV1.AliasMove }>;
  getAlias(
    actor: Actor,
    model: string,
    alias: string,
  ): Promise<{ alias: registryV1.Alias; version: ModelVersion }>;
  aliasHistory(
    actor: Actor,
    query: { model: string; alias?: string; pageSize?: number; pageToken?: string },
  ): Promise<{ moves: registryV1.AliasMove[]; nextPageToken: string }>;
  watchAliases(
    actor: Actor,
    keys: readonly { model: string; alias: string }[],
    afterRevision: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent>;
  archiveVersion(
    actor: Actor,
    model: string,
    version: bigint,
    reason: string,
  ): Promise<ModelVersion>;
  rewrapKeys(
    actor: Actor,
    request: { keyId?: string; model?: string },
  ): Promise<{ keyId: string; rewrapped: number; unchanged: number }>;
  /** Start-up recovery: deletes what a crashed upload left and applies a half-done alias move. */
  recover(): Promise<{ removedTemporary: number; removedBlobs: number; removedKeys: number }>;
}

const KEYS = {
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
const encodeKey = (key: WrappedKey) =>
  Buffer.from(
    JSON.stringify({
      keyId: key.keyId,
      nonce: Buffer.from(key.nonce).toString('base64'),
      wrapped: Buffer.from(key.wrapped).toString('base64'),
    } satisfies StoredKey),
  );
const decodeKey = (bytes: Uint8Array): WrappedKey => {
  const stored = JSON.parse(Buffer.from(bytes).toString('utf8')) as StoredKey;
  return {
    keyId: stored.keyId,
    nonce: Buffer.from(stored.nonce, 'base64'),
    wrapped: Buffer.from(stored.wrapped, 'base64'),
  };
};

/** Creates the registry over its store, blob store, key ring and access checks. */
export function createRegistry(options: RegistryOptions): Registry {
  const { store, blobs, keys, access } = options;
  const now = options.now ?? Date.now;
  const protectedAliases = new Set(options.protectedAliases ?? ['production']);
  const defaultPageSize = options.defaultPageSize ?? 100;
  const maxPageSize = options.maxPageSize ?? 1000;
  const aliases: AliasLog = createAliasLog({ store, now });
  const pageSize = (requested: number | undefined) =>
    Math.min(requested === undefined || requested === 0 ? defaultPageSize : requested, maxPageSize);

  const decodeModel = (bytes: Uint8Array) => fromBinary(registryV1.ModelSchema, bytes);
  const decodeVersion = (bytes: Uint8Array) => fromBinary(registryV1.ModelVersionSchema, bytes);

  async function loadModel(name: string): Promise<{ model: Model; entryVersion: number }> {
    checkLabel('model', name);
    const entry = await store.get(KEYS.model(name));
    if (entry === undefined) throw new NotFoundError({ kind: 'model', resource: name });
    return { model: decodeModel(entry.value), entryVersion: entry.version };
  }

  /** Adds the current key id, which re-wrapping changes without touching the version record. */
  async function withKeyId(version: ModelVersion): Promise<ModelVersion> {
    const entry = await store.get(KEYS.blobKey(version.sha256));
    if (entry !== undefined) version.keyId = decodeKey(entry.value).keyId;
    return version;
  }

  async function loadVersion(
    model: string,
    number: bigint,
  ): Promise<{ version: ModelVersion; entryVersion: number }> {
    const entry = await store.get(KEYS.version(model, number));
    if (entry === undefined) {
      throw new NotFoundError({ kind: 'version', resource: `${model} version ${number}` });
    }
    return { version: await withKeyId(decodeVersion(entry.value)), entryVersion: entry.version };
  }

  async function resolve(model: string, selector: VersionSelector): Promise<ModelVersion> {
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
  }

  async function dataKeyOf(sha: string): Promise<Buffer> {
    const entry = await store.get(KEYS.blobKey(sha));
    if (entry === undefined) throw new DataLossError(`the data key of blob ${sha} is missing`);
    return keys.unwrap(decodeKey(entry.value), sha);
  }

  async function existingByDigest(model: string, sha: string): Promise<ModelVersion | undefined> {
    const entry = await store.get(KEYS.digest(model, sha));
    if (entry === undefined) return undefined;
    const number = BigInt(Buffer.from(entry.value).toString('utf8'));
    const version = await store.get(KEYS.version(model, number));
    return version === undefined ? undefined : withKeyId(decodeVersion(version.value));
  }

  async function nextVersionNumber(name: string): Promise<bigint> {
    for (;;) {
      const { model, entryVersion } = await loadModel(name);
      model.latestVersion += 1n;
      try {
        await store.put(KEYS.model(name), toBinary(registryV1.ModelSchema, model), {
          expectedVersion: entryVersion,
        });
        return model.latestVersion;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }

  /** Puts the encrypted blob in place and records its wrapped data key, unless the bytes are stored already. */
  async function storeBlob(
    writer: Awaited<ReturnType<BlobStore['create']>>,
    sha: string,
    dataKey: Uint8Array,
  ) {
    if (await blobs.has(sha)) return writer.abort();
    try {
      await store.put(KEYS.blobKey(sha), encodeKey(keys.wrap(dataKey, sha)), {
        expectedVersion: 0,
      });
    } catch (error) {
      // A concurrent upload of the same bytes owns the blob; its file replaces ours.
      if (error instanceof VersionConflictError) return writer.abort();
      throw error;
    }
    await writer.commit();
  }

  return {
    async createModel(actor, init) {
      checkLabel('name', init.name);
      checkLabel('team', init.team);
      const resource = `model/${init.name}`;
      access.require(actor, 'model:publish', init.team, resource);
      const model = create(registryV1.ModelSchema, {
        name: init.name,
        team: init.team,
        description: init.description ?? '',
        tags: [...(init.tags ?? [])],
        createdBy: actor.principal.id,
        createTime: timestampFromMs(now()),
      });
      try {
        await store.put(KEYS.model(init.name), toBinary(registryV1.ModelSchema, model), {
          expectedVersion: 0,
        });
      } catch (error) {
        if (error instanceof VersionConflictError) {
          throw new AlreadyExistsError({ kind: 'model', resource: init.name });
        }
        throw error;
      }
      access.record(actor, 'model.create', resource, { team: init.team });
      return model;
    },

    async getModel(actor, name) {
      const { model } = await loadModel(name);
      access.require(actor, 'model:read', model.team, `model/${name}`);
      return { model, aliases: await aliases.list(name) };
    },

    async listModels(actor, query) {
      const limit = pageSize(query.pageSize);
      const models: Model[] = [];
      let after = decodePageToken(query.pageToken ?? '', KEYS.modelPrefix);
      let nextPageToken = '';
      // Filtering happens after reading, so keep reading pages until this one is full.
      for (;;) {
        const entries = await store.scan(KEYS.modelPrefix, { ...(after ? { after } : {}), limit });
        for (const entry of entries) {
          const model = decodeModel(entry.value);
          after = entry.key;
          if (query.team && model.team !== query.team) continue;
          if (query.tag && !model.tags.includes(query.tag)) continue;
          if (!access.allows(actor, 'model:read', model.team)) continue;
          models.push(model);
          if (models.length === limit) break;
        }
        if (models.length === limit) {
          nextPageToken = encodePageToken(after!);
          break;
        }
        if (entries.length < limit) break;
      }
      return { models, nextPageToken };
    },

    async uploadVersion(actor, header, chunks) {
      const { model } = await loadModel(header.model);
      access.require(actor, 'model:publish', model.team, `model/${model.name}`);
      const declared = checkSha256('header.sha256', header.sha256);
      if (header.format !== '' && header.format !== 'onnx') {
        throw new InvalidArgumentError({
          field: 'header.format',
          expected: '"onnx"',
          received: JSON.stringify(header.format),
        });
      }
      const dataKey = randomBytes(KEY_BYTES);
      const writer = await blobs.create(dataKey);
      const scanner = createOnnxScanner({ maxFieldBytes: options.maxOnnxFieldBytes });
      let sizeBytes: number;
      let sha256: string;
      let signature;
      try {
        let received = 0;
        for await (const chunk of chunks) {
          received += chunk.length;
          if (header.sizeBytes > 0n && BigInt(received) > header.sizeBytes) {
            throw new InvalidArgumentError({
              field: 'chunks',
              expected: `${header.sizeBytes} bytes as declared`,
              received: `more (${received} so far)`,
            });
          }
          scanner.push(chunk);
          await writer.write(chunk);
        }
        ({ sha256, sizeBytes } = await writer.finish());
        if (sha256 !== declared) {
          throw new InvalidArgumentError({
            field: 'header.sha256',
            expected: `the SHA-256 of the bytes sent (${sha256})`,
            received: declared,
          });
        }
        if (header.sizeBytes > 0n && BigInt(sizeBytes) !== header.sizeBytes) {
          throw new InvalidArgumentError({
            field: 'header.size_bytes',
            expected: `the size of the bytes sent (${sizeBytes})`,
            received: String(header.sizeBytes),
          });
        }
        signature = scanner.end();
        const existing = await existingByDigest(model.name, sha256);
        if (existing !== undefined) {
          await writer.abort();
          return { version: existing, created: false };
        }
        await storeBlob(writer, sha256, dataKey);
      } catch (error) {
        await writer.abort();
        throw error;
      }
      const number = await nextVersionNumber(model.name);
      const version = create(registryV1.ModelVersionSchema, {
        model: model.name,
        number,
        sha256,
        sizeBytes: BigInt(sizeBytes),
        format: 'onnx',
        signature: {
          inputs: signature.inputs.map((t) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape.map(BigInt),
          })),
          outputs: signature.outputs.map((t) => ({
            name: t.name,
            datatype: t.datatype,
            shape: t.shape.map(BigInt),
          })),
        },
        metadata: { ...header.metadata },
        lineage: header.lineage,
        referenceProfile: header.referenceProfile,
        state: registryV1.VersionState.READY,
        createdBy: actor.principal.id,
        createTime: timestampFromMs(now()),
      });
      // The version record goes first: a crash before the digest index only costs idempotency
      // for that upload, never a digest that points nowhere.
      await store.put(
        KEYS.version(model.name, number),
        toBinary(registryV1.ModelVersionSchema, version),
        { expectedVersion: 0 },
      );
      await store
        .put(KEYS.digest(model.name, sha256), Buffer.from(number.toString()), {})
        .catch(() => undefined);
      access.record(actor, 'model.version.create', `model/${model.name}/version/${number}`, {
        sha256,
        size_bytes: String(sizeBytes),
      });
      return { version: await withKeyId(version), created: true };
    },

    async getVersion(actor, name, selector) {
      const { model } = await loadModel(name);
      access.require(actor, 'model:read', model.team, `model/${name}`);
      return resolve(name, selector);
    },

    async listVersions(actor, query) {
      const { model } = await loadModel(query.model);
      access.require(actor, 'model:read', model.team, `model/${model.name}`);
      const limit = pageSize(query.pageSize);
      const prefix = KEYS.versionPrefix(model.name);
      // Newest first: walk numbers downwards from the token (or the latest).
      const token = decodePageToken(query.pageToken ?? '', prefix);
      let number =
        token === undefined ? model.latestVersion : BigInt(token.slice(prefix.length)) - 1n;
      const versions: ModelVersion[] = [];
      for (; number >= 1n && versions.length < limit; number--) {
        const entry = await store.get(KEYS.version(model.name, number));
        if (entry === undefined) continue;
        const version = decodeVersion(entry.value);
        if (version.state === registryV1.VersionState.ARCHIVED && !query.includeArchived) continue;
        versions.push(await withKeyId(version));
      }
      const more = number >= 1n && versions.length === limit;
      return {
        versions,
        nextPageToken: more ? encodePageToken(KEYS.version(model.name, number + 1n)) : '',
      };
    },

    async downloadVersion(actor, name, selector, offset) {
      const { model } = await loadModel(name);
      access.require(actor, 'model:read', model.team, `model/${name}`);
      const version = await resolve(name, selector);
      if (
        version.state !== registryV1.VersionState.READY &&
        version.state !== registryV1.VersionState.ARCHIVED
      ) {
        throw new FailedPreconditionError(`${name} version ${version.number} is not READY`);
      }
      if (offset > version.sizeBytes) {
        throw new InvalidArgumentError({
          field: 'offset',
          expected: `0..${version.sizeBytes}`,
          received: String(offset),
        });
      }
      const reader = await blobs.open(version.sha256, await dataKeyOf(version.sha256));
      if (BigInt(reader.plaintextBytes) !== version.sizeBytes) {
        throw new DataLossError(
          `blob ${version.sha256} holds ${reader.plaintextBytes} bytes, the version ${version.sizeBytes}`,
        );
      }
      return { version, sizeBytes: version.sizeBytes, offset, chunks: reader.read(Number(offset)) };
    },

    async setAlias(actor, request) {
      const { model } = await loadModel(request.model);
      checkLabel('alias', request.alias);
      const resource = `model/${model.name}/alias/${request.alias}`;
      access.require(actor, 'model:deploy', model.team, resource);
      if (protectedAliases.has(request.alias)) {
        access.require(actor, 'model:deploy:production', model.team, resource);
      }
      const { version } = await loadVersion(model.name, request.version);
      if (version.state !== registryV1.VersionState.READY) {
        throw new FailedPreconditionError(
          `${model.name} version ${request.version} is ${registryV1.VersionState[version.state]}; only READY versions can be aliased`,
        );
      }
      const result = await aliases.move(actor, request);
      access.record(actor, 'alias.move', resource, {
        from: String(result.move.fromVersion),
        to: String(result.move.toVersion),
        revision: String(result.move.revision),
      });
      return result;
    },

    async getAlias(actor, name, alias) {
      const { model } = await loadModel(name);
      access.require(actor, 'model:read', model.team, `model/${name}`);
      const version = await resolve(name, { alias });
      return { alias: (await aliases.get(name, alias))!, version };
    },

    async aliasHistory(actor, query) {
      const { model } = await loadModel(query.model);
      access.require(actor, 'model:read', model.team, `model/${model.name}`);
      if (query.alias) checkLabel('alias', query.alias);
      const limit = pageSize(query.pageSize);
      const token = decodePageToken(query.pageToken ?? '', 'rev/');
      const before = token === undefined ? undefined : BigInt(token.slice(4));
      const moves = await aliases.history(model.name, query.alias ?? '', before, limit);
      const last = moves.at(-1);
      return {
        moves,
        nextPageToken:
          moves.length === limit && last ? encodePageToken(`rev/${last.revision}`) : '',
      };
    },

    watchAliases(actor, keys, afterRevision, signal) {
      const teams = new Map<string, string | null>();
      const visible = async (modelName: string) => {
        if (!teams.has(modelName)) {
          const entry = await store.get(KEYS.model(modelName));
          teams.set(modelName, entry === undefined ? null : decodeModel(entry.value).team);
        }
        const team = teams.get(modelName);
        return team !== null && team !== undefined && access.allows(actor, 'model:read', team);
      };
      return watchAliases({
        aliases,
        keys,
        afterRevision,
        signal,
        visible,
        check: async () => {
          for (const key of keys) {
            const { model } = await loadModel(key.model);
            if (key.alias !== '') checkLabel('alias', key.alias);
            access.require(actor, 'model:read', model.team, `model/${model.name}`);
          }
        },
      });
    },

    async archiveVersion(actor, name, number, reason) {
      const { model } = await loadModel(name);
      const resource = `model/${name}/version/${number}`;
      access.require(actor, 'model:admin', model.team, resource);
      const pointing = (await aliases.list(name))
        .filter((a) => a.version === number)
        .map((a) => a.name);
      if (pointing.length > 0) {
        throw new FailedPreconditionError(
          `${name} version ${number} is the target of alias ${pointing.join(', ')}; move it first`,
        );
      }
      for (;;) {
        const { version, entryVersion } = await loadVersion(name, number);
        if (version.state === registryV1.VersionState.ARCHIVED) return version;
        version.state = registryV1.VersionState.ARCHIVED;
        try {
          await store.put(
            KEYS.version(name, number),
            toBinary(registryV1.ModelVersionSchema, version),
            { expectedVersion: entryVersion },
          );
        } catch (error) {
          if (error instanceof VersionConflictError) continue;
          throw error;
        }
        access.record(actor, 'model.version.archive', resource, { reason });
        return version;
      }
    },

    async rewrapKeys(actor, request) {
      const target = request.keyId || keys.activeKeyId;
      if (!keys.keyIds.includes(target)) {
        throw new InvalidArgumentError({
          field: 'key_id',
          expected: `one of ${keys.keyIds.join(', ')}`,
          received: target,
        });
      }
      let prefix = KEYS.allVersions;
      if (request.model) {
        const { model } = await loadModel(request.model);
        access.require(actor, 'model:admin', model.team, `model/${model.name}`);
        prefix = KEYS.versionPrefix(model.name);
      } else {
        access.require(actor, 'model:admin', '', 'registry');
      }
      const versions = (await store.scan(prefix)).map((e) => decodeVersion(e.value));
      const outcome = new Map<string, boolean>();
      let rewrapped = 0;
      let unchanged = 0;
      for (const version of versions) {
        let changed = outcome.get(version.sha256);
        if (changed === undefined) {
          changed = false;
          for (;;) {
            const entry = await store.get(KEYS.blobKey(version.sha256));
            if (entry === undefined)
              throw new DataLossError(`the data key of blob ${version.sha256} is missing`);
            const wrapped = decodeKey(entry.value);
            if (wrapped.keyId === target) break;
            const rewrappedKey = keys.wrap(
              keys.unwrap(wrapped, version.sha256),
              version.sha256,
              target,
            );
            try {
              await store.put(KEYS.blobKey(version.sha256), encodeKey(rewrappedKey), {
                expectedVersion: entry.version,
              });
              changed = true;
              break;
            } catch (error) {
              if (!(error instanceof VersionConflictError)) throw error;
            }
          }
          outcome.set(version.sha256, changed);
        }
        if (changed) rewrapped++;
        else unchanged++;
      }
      access.record(actor, 'key.rewrap', request.model ? `model/${request.model}` : 'registry', {
        key_id: target,
        rewrapped: String(rewrapped),
        unchanged: String(unchanged),
      });
      return { keyId: target, rewrapped, unchanged };
    },

    async recover() {
      const { removedTemporary } = await blobs.init();
      await aliases.recover();
      const referenced = new Set(
        (await store.scan(KEYS.allVersions)).map((e) => decodeVersion(e.value).sha256),
      );
      let removedBlobs = 0;
      for (const sha of await blobs.list()) {
        if (!referenced.has(sha)) {
          await blobs.remove(sha);
          removedBlobs++;
        }
      }
      let removedKeys = 0;
      for (const entry of await store.scan(KEYS.blobKeyPrefix)) {
        if (!referenced.has(entry.key.slice(KEYS.blobKeyPrefix.length))) {
          await store.delete(entry.key, { expectedVersion: entry.version }).catch(() => false);
          removedKeys++;
        }
      }
      return { removedTemporary, removedBlobs, removedKeys };
    },
  };
}
