import { randomBytes } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Actor } from '@verdict/audit-client';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { VersionConflictError } from '@verdict/store';
import type { BlobStore } from '../blob/blob-store';
import { KEY_BYTES } from '../crypto/key-ring';
import { createOnnxScanner } from '../onnx/onnx-scanner';
import { createModel, type ModelInit } from './models';
import { checkLabel, checkSha256 } from './names';
import { KEYS, decodeVersion, encodeKey, type RegistryContext } from './registry-context';

type ModelVersion = registryV1.ModelVersion;

/**
 * UploadVersion: streams the bytes through encryption into a blob while checking them (declared
 * size and digest, an ONNX graph), then records a READY version with the next number. Identical
 * bytes already stored under the model return that version instead (`created: false`).
 */
export async function uploadVersion(
  context: RegistryContext,
  actor: Actor,
  header: registryV1.UploadHeader,
  chunks: AsyncIterable<Uint8Array>,
): Promise<{ version: ModelVersion; created: boolean }> {
  const { store, blobs, access } = context;
  const model = await modelToUploadTo(context, header);
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
  const scanner = createOnnxScanner({ maxFieldBytes: context.maxOnnxFieldBytes });
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
    // Only now that the bytes are accepted does a model the upload creates come to exist.
    if (model.createTime === undefined) await createOrJoin(context, actor, header);
    const existing = await existingByDigest(context, model.name, sha256);
    if (existing !== undefined) {
      await writer.abort();
      return { version: existing, created: false };
    }
    await storeBlob(context, writer, sha256, dataKey);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  const number = await nextVersionNumber(context, model.name);
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
    createTime: timestampFromMs(context.now()),
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
  return { version: await context.withKeyId(version), created: true };
}

/**
 * The model the header names, or, when it does not exist and the header says which team creates
 * it, the model as it will be created (not stored yet: its `createTime` is unset).
 */
async function modelToUploadTo(
  context: RegistryContext,
  header: registryV1.UploadHeader,
): Promise<registryV1.Model> {
  try {
    return (await context.loadModel(header.model)).model;
  } catch (error) {
    if (!(error instanceof NotFoundError) || header.createTeam === '') throw error;
  }
  const init = modelInit(header);
  checkLabel('header.create_team', init.team);
  return create(registryV1.ModelSchema, { name: init.name, team: init.team });
}

/** Creates the model; one a concurrent upload created first is used if the caller may publish to it. */
async function createOrJoin(
  context: RegistryContext,
  actor: Actor,
  header: registryV1.UploadHeader,
): Promise<void> {
  try {
    await createModel(context, actor, modelInit(header));
  } catch (error) {
    if (!(error instanceof AlreadyExistsError)) throw error;
    const { model } = await context.loadModel(header.model);
    context.access.require(actor, 'model:publish', model.team, `model/${model.name}`);
  }
}

function modelInit(header: registryV1.UploadHeader): ModelInit {
  return { name: header.model, team: header.createTeam, description: header.createDescription };
}

async function existingByDigest(
  context: RegistryContext,
  model: string,
  sha: string,
): Promise<ModelVersion | undefined> {
  const entry = await context.store.get(KEYS.digest(model, sha));
  if (entry === undefined) return undefined;
  const number = BigInt(Buffer.from(entry.value).toString('utf8'));
  const version = await context.store.get(KEYS.version(model, number));
  return version === undefined ? undefined : context.withKeyId(decodeVersion(version.value));
}

async function nextVersionNumber(context: RegistryContext, name: string): Promise<bigint> {
  for (;;) {
    const { model, entryVersion } = await context.loadModel(name);
    model.latestVersion += 1n;
    try {
      await context.store.put(KEYS.model(name), toBinary(registryV1.ModelSchema, model), {
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
  context: RegistryContext,
  writer: Awaited<ReturnType<BlobStore['create']>>,
  sha: string,
  dataKey: Uint8Array,
): Promise<void> {
  if (await context.blobs.has(sha)) return writer.abort();
  try {
    await context.store.put(KEYS.blobKey(sha), encodeKey(context.keys.wrap(dataKey, sha)), {
      expectedVersion: 0,
    });
  } catch (error) {
    // A concurrent upload of the same bytes owns the blob; its file replaces ours.
    if (error instanceof VersionConflictError) return writer.abort();
    throw error;
  }
  await writer.commit();
}
