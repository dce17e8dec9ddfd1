import { create, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { Actor } from '@verdict/audit-client';
import { AlreadyExistsError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { VersionConflictError } from '@verdict/store';
import { checkLabel, decodePageToken, encodePageToken } from './names';
import { KEYS, decodeModel, type RegistryContext } from './registry-context';

type Model = registryV1.Model;

/** What CreateModel takes. */
export interface ModelInit {
  name: string;
  team: string;
  description?: string;
  tags?: readonly string[];
}

/** CreateModel: a new, empty model owned by a team. @throws AlreadyExistsError */
export async function createModel(
  context: RegistryContext,
  actor: Actor,
  init: ModelInit,
): Promise<Model> {
  checkLabel('name', init.name);
  checkLabel('team', init.team);
  const resource = `model/${init.name}`;
  context.access.require(actor, 'model:publish', init.team, resource);
  const model = create(registryV1.ModelSchema, {
    name: init.name,
    team: init.team,
    description: init.description ?? '',
    tags: [...(init.tags ?? [])],
    createdBy: actor.principal.id,
    createTime: timestampFromMs(context.now()),
  });
  try {
    await context.store.put(KEYS.model(init.name), toBinary(registryV1.ModelSchema, model), {
      expectedVersion: 0,
    });
  } catch (error) {
    if (error instanceof VersionConflictError) {
      throw new AlreadyExistsError({ kind: 'model', resource: init.name });
    }
    throw error;
  }
  context.access.record(actor, 'model.create', resource, { team: init.team });
  return model;
}

/** GetModel: the model and its aliases. */
export async function getModel(
  context: RegistryContext,
  actor: Actor,
  name: string,
): Promise<{ model: Model; aliases: registryV1.Alias[] }> {
  const { model } = await context.loadModel(name);
  context.access.require(actor, 'model:read', model.team, `model/${name}`);
  return { model, aliases: await context.aliases.list(name) };
}

/** ListModels: the models the caller may read, filtered by team and tag, a page at a time. */
export async function listModels(
  context: RegistryContext,
  actor: Actor,
  query: { team?: string; tag?: string; pageSize?: number; pageToken?: string },
): Promise<{ models: Model[]; nextPageToken: string }> {
  const limit = context.pageSize(query.pageSize);
  const models: Model[] = [];
  let after = decodePageToken(query.pageToken ?? '', KEYS.modelPrefix);
  let nextPageToken = '';
  // Filtering happens after reading, so keep reading pages until this one is full.
  for (;;) {
    const entries = await context.store.scan(KEYS.modelPrefix, {
      ...(after ? { after } : {}),
      limit,
    });
    for (const entry of entries) {
      const model = decodeModel(entry.value);
      after = entry.key;
      if (query.team && model.team !== query.team) continue;
      if (query.tag && !model.tags.includes(query.tag)) continue;
      if (!context.access.allows(actor, 'model:read', model.team)) continue;
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
}
