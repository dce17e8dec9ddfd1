import type { Writable } from 'node:stream';
import type { CommandResult } from './command';
import { connectRegistry, describeRpcFailure, type RegistryClient } from './model-client';
import {
  VERSION_COLUMNS,
  formatTable,
  formatTensors,
  formatTime,
  json,
  versionRows,
} from './model-format';
import { pushCommand } from './model-push';
import { pullCommand } from './model-pull';

export const MODEL_USAGE = `verdict model push|pull|list|show|versions|promote|history ... [--address 127.0.0.1:50053] [--pki .verdict/pki] [--json]

  verdict model push FILE.onnx --name NAME --team TEAM [--alias ALIAS] [--description TEXT]
      Creates the model when it does not exist, uploads FILE as a new version (SHA-256 computed
      first, then streamed in chunks; a progress bar on a terminal) and optionally points ALIAS
      at it. Pushing identical bytes again returns the existing version.
  verdict model pull NAME[@ALIAS|:VERSION] --out FILE
      Downloads a version (NAME alone: the newest) into FILE.part, resuming from its length,
      and renames it to FILE once the SHA-256 matches the registry's.
  verdict model list [--team TEAM]
  verdict model show NAME
  verdict model versions NAME
  verdict model promote NAME VERSION --alias ALIAS     (a deployment: moves ALIAS to VERSION)
  verdict model history NAME [--alias ALIAS]

Talks to the registry over mutual TLS with the local user's certificate; --json prints proto
JSON for scripts instead of tables.`;

/** Flags of `verdict model ...`. */
export interface ModelFlags {
  address?: string;
  pki?: string;
  name?: string;
  team?: string;
  alias?: string;
  description?: string;
  out?: string;
  json?: boolean;
  help?: boolean;
}

/** Where a model command writes: results to `out`, progress and errors to `err`. */
export interface ModelIo {
  out: Writable;
  err: Writable & { isTTY?: boolean; columns?: number };
}

const SUBCOMMANDS: Record<
  string,
  (client: RegistryClient, args: string[], flags: ModelFlags, io: ModelIo) => Promise<number>
> = {
  push: pushCommand,
  pull: pullCommand,
  list: listCommand,
  show: showCommand,
  versions: versionsCommand,
  promote: promoteCommand,
  history: historyCommand,
};

/** Positional arguments each subcommand takes. */
const ARITY: Record<string, number> = {
  push: 1,
  pull: 1,
  list: 0,
  show: 1,
  versions: 1,
  promote: 2,
  history: 1,
};

/**
 * Runs `verdict model <subcommand> ...`; `args` are the positionals after `model`. A registry
 * refusal is printed as its message and status name (`model "x" not found (NOT_FOUND)`), exit 1.
 */
export async function modelCommand(
  args: readonly string[],
  flags: ModelFlags,
  io: ModelIo = { out: process.stdout, err: process.stderr },
): Promise<CommandResult> {
  const [sub, ...rest] = args;
  const run = sub === undefined ? undefined : SUBCOMMANDS[sub];
  if (flags.help === true || run === undefined) {
    (flags.help === true || sub === undefined ? io.out : io.err).write(`${MODEL_USAGE}\n`);
    return { exitCode: flags.help === true || sub === undefined ? 0 : 2 };
  }
  if (rest.length !== ARITY[sub]) {
    io.err.write(`verdict model ${sub}: expected ${ARITY[sub]} argument(s)\n\n${MODEL_USAGE}\n`);
    return { exitCode: 2 };
  }
  const client = connectRegistry(flags);
  try {
    return { exitCode: await run(client, rest, flags, io) };
  } catch (error) {
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`verdict model ${sub}: ${message}\n`);
    return { exitCode: 1 };
  } finally {
    client.close();
  }
}

/** Follows next_page_token until the last page. */
async function allPages<T>(
  page: (token: string) => Promise<{ items: T[]; nextPageToken: string }>,
): Promise<T[]> {
  const items: T[] = [];
  let token = '';
  do {
    const result = await page(token);
    items.push(...result.items);
    token = result.nextPageToken;
  } while (token !== '');
  return items;
}

const writeJson = (io: ModelIo, value: unknown) => io.out.write(`${JSON.stringify(value)}\n`);

async function listCommand(
  client: RegistryClient,
  _args: string[],
  flags: ModelFlags,
  io: ModelIo,
) {
  const models = await allPages(async (pageToken) => {
    const page = await client.listModels({ team: flags.team ?? '', pageToken });
    return { items: page.models, nextPageToken: page.nextPageToken };
  });
  if (flags.json === true) {
    writeJson(io, { models: models.map(json.model) });
    return 0;
  }
  io.out.write(
    formatTable(
      ['NAME', 'TEAM', 'LATEST', 'CREATED', 'DESCRIPTION'],
      models.map((m) => [
        m.name,
        m.team,
        String(m.latestVersion),
        formatTime(m.createTime),
        m.description,
      ]),
    ),
  );
  return 0;
}

async function showCommand(
  client: RegistryClient,
  [name]: string[],
  flags: ModelFlags,
  io: ModelIo,
) {
  const { model, aliases } = await client.getModel({ name });
  const latest =
    model!.latestVersion > 0n
      ? (
          await client.getVersion({
            model: name,
            selector: { case: 'version', value: model!.latestVersion },
          })
        ).version
      : undefined;
  if (flags.json === true) {
    writeJson(io, {
      model: json.model(model!),
      aliases: aliases.map(json.alias),
      ...(latest ? { latestVersion: json.version(latest) } : {}),
    });
    return 0;
  }
  io.out.write(
    formatTable(
      ['FIELD', 'VALUE'],
      [
        ['name', model!.name],
        ['team', model!.team],
        ['description', model!.description || '-'],
        ['tags', model!.tags.join(',') || '-'],
        ['created', `${formatTime(model!.createTime)} by ${model!.createdBy}`],
        ['latest version', String(model!.latestVersion)],
        ...(latest
          ? [
              ['inputs', formatTensors(latest.signature?.inputs ?? [])],
              ['outputs', formatTensors(latest.signature?.outputs ?? [])],
            ]
          : []),
      ],
    ),
  );
  io.out.write(
    `\n${formatTable(
      ['ALIAS', 'VERSION', 'REVISION', 'UPDATED', 'BY'],
      aliases.map((a) => [
        a.name,
        String(a.version),
        String(a.revision),
        formatTime(a.updateTime),
        a.updatedBy,
      ]),
    )}`,
  );
  return 0;
}

async function versionsCommand(
  client: RegistryClient,
  [name]: string[],
  flags: ModelFlags,
  io: ModelIo,
) {
  const { aliases } = await client.getModel({ name });
  const versions = await allPages(async (pageToken) => {
    const page = await client.listVersions({ model: name, includeArchived: true, pageToken });
    return { items: page.versions, nextPageToken: page.nextPageToken };
  });
  if (flags.json === true) {
    writeJson(io, { versions: versions.map(json.version), aliases: aliases.map(json.alias) });
    return 0;
  }
  io.out.write(formatTable(VERSION_COLUMNS, versionRows(versions, aliases)));
  return 0;
}

async function promoteCommand(
  client: RegistryClient,
  [name, version]: string[],
  flags: ModelFlags,
  io: ModelIo,
) {
  if (flags.alias === undefined || !/^[1-9][0-9]*$/.test(version)) {
    io.err.write('verdict model promote: needs NAME, a VERSION number >= 1 and --alias ALIAS\n');
    return 2;
  }
  const { alias, move } = await client.setAlias({
    model: name,
    alias: flags.alias,
    version: BigInt(version),
  });
  if (flags.json === true) {
    writeJson(io, { alias: json.alias(alias!), move: json.move(move!) });
    return 0;
  }
  io.out.write(
    `${name}@${alias!.name}: ${move!.fromVersion === 0n ? '(new)' : move!.fromVersion} -> ${move!.toVersion} ` +
      `(revision ${move!.revision})\n`,
  );
  return 0;
}

async function historyCommand(
  client: RegistryClient,
  [name]: string[],
  flags: ModelFlags,
  io: ModelIo,
) {
  const moves = await allPages(async (pageToken) => {
    const page = await client.aliasHistory({ model: name, alias: flags.alias ?? '', pageToken });
    return { items: page.moves, nextPageToken: page.nextPageToken };
  });
  if (flags.json === true) {
    writeJson(io, { moves: moves.map(json.move) });
    return 0;
  }
  io.out.write(
    formatTable(
      ['REVISION', 'TIME', 'ALIAS', 'FROM', 'TO', 'ACTOR'],
      moves.map((m) => [
        String(m.revision),
        formatTime(m.time),
        m.alias,
        m.fromVersion === 0n ? '-' : String(m.fromVersion),
        String(m.toVersion),
        m.actor,
      ]),
    ),
  );
  return 0;
}
