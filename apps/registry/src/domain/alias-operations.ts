import type { Actor } from '@verdict/audit-client';
import { FailedPreconditionError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { checkLabel, decodePageToken, encodePageToken } from './names';
import { KEYS, decodeModel, type RegistryContext } from './registry-context';
import { watchAliases as watchAliasLog, type WatchEvent } from './watch';

/** SetAlias: points an alias at a READY version; protected aliases need the production grant too. */
export async function setAlias(
  context: RegistryContext,
  actor: Actor,
  request: { model: string; alias: string; version: bigint; expectedVersion?: bigint },
): Promise<{ alias: registryV1.Alias; move: registryV1.AliasMove }> {
  const { access } = context;
  const { model } = await context.loadModel(request.model);
  checkLabel('alias', request.alias);
  const resource = `model/${model.name}/alias/${request.alias}`;
  access.require(actor, 'model:deploy', model.team, resource);
  if (context.protectedAliases.has(request.alias)) {
    access.require(actor, 'model:deploy:production', model.team, resource);
  }
  const { version } = await context.loadVersion(model.name, request.version);
  if (version.state !== registryV1.VersionState.READY) {
    throw new FailedPreconditionError(
      `${model.name} version ${request.version} is ${registryV1.VersionState[version.state]}; only READY versions can be aliased`,
    );
  }
  const result = await context.aliases.move(actor, request);
  access.record(actor, 'alias.move', resource, {
    from: String(result.move.fromVersion),
    to: String(result.move.toVersion),
    revision: String(result.move.revision),
  });
  return result;
}

/** GetAlias: the alias and the version it points at. */
export async function getAlias(
  context: RegistryContext,
  actor: Actor,
  name: string,
  alias: string,
): Promise<{ alias: registryV1.Alias; version: registryV1.ModelVersion }> {
  const { model } = await context.loadModel(name);
  context.access.require(actor, 'model:read', model.team, `model/${name}`);
  const version = await context.resolve(name, { alias });
  return { alias: (await context.aliases.get(name, alias))!, version };
}

/** AliasHistory: the moves of one alias (or all of a model's), newest first. */
export async function aliasHistory(
  context: RegistryContext,
  actor: Actor,
  query: { model: string; alias?: string; pageSize?: number; pageToken?: string },
): Promise<{ moves: registryV1.AliasMove[]; nextPageToken: string }> {
  const { model } = await context.loadModel(query.model);
  context.access.require(actor, 'model:read', model.team, `model/${model.name}`);
  if (query.alias) checkLabel('alias', query.alias);
  const limit = context.pageSize(query.pageSize);
  const token = decodePageToken(query.pageToken ?? '', 'rev/');
  const before = token === undefined ? undefined : BigInt(token.slice(4));
  const moves = await context.aliases.history(model.name, query.alias ?? '', before, limit);
  const last = moves.at(-1);
  return {
    moves,
    nextPageToken: moves.length === limit && last ? encodePageToken(`rev/${last.revision}`) : '',
  };
}

/** WatchAliases: the moves after a revision, of the models the caller may read. */
export function watchAliases(
  context: RegistryContext,
  actor: Actor,
  keys: readonly { model: string; alias: string }[],
  afterRevision: bigint,
  signal: AbortSignal,
): AsyncGenerator<WatchEvent> {
  const { access } = context;
  const teams = new Map<string, string | null>();
  const visible = async (modelName: string) => {
    if (!teams.has(modelName)) {
      const entry = await context.store.get(KEYS.model(modelName));
      teams.set(modelName, entry === undefined ? null : decodeModel(entry.value).team);
    }
    const team = teams.get(modelName);
    return team !== null && team !== undefined && access.allows(actor, 'model:read', team);
  };
  return watchAliasLog({
    aliases: context.aliases,
    keys,
    afterRevision,
    signal,
    visible,
    check: async () => {
      for (const key of keys) {
        const { model } = await context.loadModel(key.model);
        if (key.alias !== '') checkLabel('alias', key.alias);
        access.require(actor, 'model:read', model.team, `model/${model.name}`);
      }
    },
  });
}
