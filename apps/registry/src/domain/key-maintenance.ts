import type { Actor } from '@verdict/audit-client';
import { DataLossError, InvalidArgumentError } from '@verdict/errors';
import { VersionConflictError } from '@verdict/store';
import {
  KEYS,
  decodeKey,
  decodeVersion,
  encodeKey,
  type RegistryContext,
} from './registry-context';

/**
 * RewrapKeys: wraps the data key of every blob (of one model, or of all) with the given
 * key-encryption key, so that an old one can be retired. The blobs themselves are not touched.
 */
export async function rewrapKeys(
  context: RegistryContext,
  actor: Actor,
  request: { keyId?: string; model?: string },
): Promise<{ keyId: string; rewrapped: number; unchanged: number }> {
  const { store, keys, access } = context;
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
    const { model } = await context.loadModel(request.model);
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
      changed = await rewrapOne(context, version.sha256, target);
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
}

/** Re-wraps one blob's data key under `target`; false when it already was. */
async function rewrapOne(context: RegistryContext, sha: string, target: string): Promise<boolean> {
  const { store, keys } = context;
  for (;;) {
    const entry = await store.get(KEYS.blobKey(sha));
    if (entry === undefined) throw new DataLossError(`the data key of blob ${sha} is missing`);
    const wrapped = decodeKey(entry.value);
    if (wrapped.keyId === target) return false;
    const rewrappedKey = keys.wrap(keys.unwrap(wrapped, sha), sha, target);
    try {
      await store.put(KEYS.blobKey(sha), encodeKey(rewrappedKey), {
        expectedVersion: entry.version,
      });
      return true;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }
}

/**
 * Start-up recovery: deletes the temporary files a crashed upload left, applies a half-done
 * alias move, and removes blobs and data keys no version refers to.
 */
export async function recover(
  context: RegistryContext,
): Promise<{ removedTemporary: number; removedBlobs: number; removedKeys: number }> {
  const { store, blobs } = context;
  const { removedTemporary } = await blobs.init();
  await context.aliases.recover();
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
}
