import { toBinary } from '@bufbuild/protobuf';
import type { Actor } from '@verdict/audit-client';
import { DataLossError, FailedPreconditionError, InvalidArgumentError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { VersionConflictError } from '@verdict/store';
import { decodePageToken, encodePageToken } from './names';
import {
  KEYS,
  decodeVersion,
  type RegistryContext,
  type VersionSelector,
} from './registry-context';

type ModelVersion = registryV1.ModelVersion;

/** A started download: the header to send first, then the decrypted chunks. */
export interface Download {
  readonly version: ModelVersion;
  readonly sizeBytes: bigint;
  readonly offset: bigint;
  readonly chunks: AsyncGenerator<Buffer>;
}

/** GetVersion: by number or alias. */
export async function getVersion(
  context: RegistryContext,
  actor: Actor,
  name: string,
  selector: VersionSelector,
): Promise<ModelVersion> {
  const { model } = await context.loadModel(name);
  context.access.require(actor, 'model:read', model.team, `model/${name}`);
  return context.resolve(name, selector);
}

/** ListVersions: newest first, archived ones only when asked for. */
export async function listVersions(
  context: RegistryContext,
  actor: Actor,
  query: { model: string; includeArchived?: boolean; pageSize?: number; pageToken?: string },
): Promise<{ versions: ModelVersion[]; nextPageToken: string }> {
  const { model } = await context.loadModel(query.model);
  context.access.require(actor, 'model:read', model.team, `model/${model.name}`);
  const limit = context.pageSize(query.pageSize);
  const prefix = KEYS.versionPrefix(model.name);
  // Newest first: walk numbers downwards from the token (or the latest).
  const token = decodePageToken(query.pageToken ?? '', prefix);
  let number = token === undefined ? model.latestVersion : BigInt(token.slice(prefix.length)) - 1n;
  const versions: ModelVersion[] = [];
  for (; number >= 1n && versions.length < limit; number--) {
    const entry = await context.store.get(KEYS.version(model.name, number));
    if (entry === undefined) continue;
    const version = decodeVersion(entry.value);
    if (version.state === registryV1.VersionState.ARCHIVED && !query.includeArchived) continue;
    versions.push(await context.withKeyId(version));
  }
  const more = number >= 1n && versions.length === limit;
  return {
    versions,
    nextPageToken: more ? encodePageToken(KEYS.version(model.name, number + 1n)) : '',
  };
}

/** DownloadVersion: the decrypted bytes of a READY or ARCHIVED version, from an offset. */
export async function downloadVersion(
  context: RegistryContext,
  actor: Actor,
  name: string,
  selector: VersionSelector,
  offset: bigint,
): Promise<Download> {
  const { model } = await context.loadModel(name);
  context.access.require(actor, 'model:read', model.team, `model/${name}`);
  const version = await context.resolve(name, selector);
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
  const reader = await context.blobs.open(version.sha256, await context.dataKeyOf(version.sha256));
  if (BigInt(reader.plaintextBytes) !== version.sizeBytes) {
    throw new DataLossError(
      `blob ${version.sha256} holds ${reader.plaintextBytes} bytes, the version ${version.sizeBytes}`,
    );
  }
  return { version, sizeBytes: version.sizeBytes, offset, chunks: reader.read(Number(offset)) };
}

/** ArchiveVersion: hides a version no alias points at from listings; idempotent. */
export async function archiveVersion(
  context: RegistryContext,
  actor: Actor,
  name: string,
  number: bigint,
  reason: string,
): Promise<ModelVersion> {
  const { model } = await context.loadModel(name);
  const resource = `model/${name}/version/${number}`;
  context.access.require(actor, 'model:admin', model.team, resource);
  const pointing = (await context.aliases.list(name))
    .filter((a) => a.version === number)
    .map((a) => a.name);
  if (pointing.length > 0) {
    throw new FailedPreconditionError(
      `${name} version ${number} is the target of alias ${pointing.join(', ')}; move it first`,
    );
  }
  for (;;) {
    const { version, entryVersion } = await context.loadVersion(name, number);
    if (version.state === registryV1.VersionState.ARCHIVED) return version;
    version.state = registryV1.VersionState.ARCHIVED;
    try {
      await context.store.put(
        KEYS.version(name, number),
        toBinary(registryV1.ModelVersionSchema, version),
        { expectedVersion: entryVersion },
      );
    } catch (error) {
      if (error instanceof VersionConflictError) continue;
      throw error;
    }
    context.access.record(actor, 'model.version.archive', resource, { reason });
    return version;
  }
}
