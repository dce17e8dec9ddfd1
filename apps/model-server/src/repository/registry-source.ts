import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Code, DataLossError, InvalidArgumentError } from '@verdict/errors';
import type { TypedClient } from '@verdict/grpc-kit';
import type { registryV1 } from '@verdict/proto';
import { MODEL_FILE, type ExternalVersion, type ModelManager } from './model-manager';

/** A kit client of the registry. */
export type RegistryClient = TypedClient<(typeof registryV1.RegistryService)['method']>;

/** A registry model to serve: a fixed version, or an alias that is followed as it moves. */
export type RegistryRef =
  | { readonly model: string; readonly alias: string }
  | { readonly model: string; readonly version: number };

/** Parses `name@alias,name:version,...` (blanks around entries ignored). */
export function parseRegistryRefs(text: string): RegistryRef[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry): RegistryRef => {
      const aliased = /^([^@:\s]+)@([^@:\s]+)$/.exec(entry);
      if (aliased !== null) return { model: aliased[1], alias: aliased[2] };
      const pinned = /^([^@:\s]+):([1-9][0-9]*)$/.exec(entry);
      if (pinned !== null) return { model: pinned[1], version: Number(pinned[2]) };
      throw new InvalidArgumentError({
        field: 'models.registry.models',
        expected: 'name@alias or name:version',
        received: entry,
      });
    });
}

/** Options of {@link createRegistrySource}. */
export interface RegistrySourceOptions {
  readonly client: RegistryClient;
  readonly manager: ModelManager;
  readonly refs: readonly RegistryRef[];
  /** Downloads live in `<cacheDir>/<model>/<version>/model.onnx`. */
  readonly cacheDir: string;
  /** Wait before watching the aliases again after the watch failed. */
  readonly retryDelayMs: number;
  readonly log: {
    warn(fields: object, message: string): void;
    info(fields: object, message: string): void;
  };
}

/** Serves registry models through the model manager and follows their aliases. */
export interface RegistrySource {
  /** Loads every ref once (failures are recorded by the manager, not thrown), then watches the aliases. */
  start(): Promise<void>;
  /** Stops watching. */
  close(): void;
}

/** What a failed registry call says, with its status name (DATA_LOSS, NOT_FOUND...) spelled out. */
function describe(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  const name = typeof code === 'number' ? Code[code] : undefined;
  const message = error instanceof Error ? error.message : String(error);
  return name === undefined ? message : `${name}: ${message}`;
}

async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return hash.digest('hex');
}

/**
 * Downloads a version to `path`: into `path.part` first, renamed only once the SHA-256 of every
 * byte equals the digest of the stream's header, so a served file is never a partial or corrupt one.
 */
async function download(
  client: RegistryClient,
  model: string,
  version: number,
  path: string,
): Promise<string> {
  const partial = `${path}.part`;
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(partial, 'w');
  const hash = createHash('sha256');
  let header: registryV1.DownloadHeader | undefined;
  let size = 0;
  try {
    try {
      const stream = client.downloadVersion(
        { model, selector: { case: 'version', value: BigInt(version) }, offset: 0n },
        // A large model takes as long as it takes; the stream itself shows it is alive.
        { timeoutMs: 0 },
      );
      for await (const message of stream) {
        if (message.content.case === 'header') header = message.content.value;
        else if (message.content.case === 'chunk') {
          if (header === undefined)
            throw new DataLossError('the download sent bytes before its header');
          const chunk = message.content.value;
          hash.update(chunk);
          await handle.write(chunk, 0, chunk.length, size);
          size += chunk.length;
        }
      }
    } finally {
      await handle.close();
    }
    if (header === undefined) throw new DataLossError('the download sent no header');
    const digest = hash.digest('hex');
    if (size !== Number(header.sizeBytes) || digest !== header.sha256)
      throw new DataLossError(
        `downloaded ${size} bytes with SHA-256 ${digest}, the registry announced ${header.sizeBytes} bytes with ${header.sha256}`,
      );
    await rename(partial, path);
    return digest;
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

/** Creates the registry source; nothing is called before {@link RegistrySource.start}. */
export function createRegistrySource(options: RegistrySourceOptions): RegistrySource {
  const { client, manager, log } = options;
  const aborter = new AbortController();
  /** Version each followed alias was last sent to, keyed `model@alias`. */
  const targets = new Map<string, number>();
  let revision = 0n;
  /** An alias could not be read: the watch replays the whole history to learn where it points. */
  let replay = false;

  /** The cached file of a version, re-verified, or a fresh download of it. */
  async function fetchVersion(model: string, version: number): Promise<ExternalVersion> {
    const path = join(options.cacheDir, model, String(version), MODEL_FILE);
    try {
      const { version: info } = await client.getVersion({
        model,
        selector: { case: 'version', value: BigInt(version) },
      });
      const expected = info?.sha256 ?? '';
      const cached = await stat(path).then(
        (s) => s.isFile(),
        () => false,
      );
      if (cached && (await sha256Of(path)) === expected) return { version, path, stamp: expected };
      if (cached)
        log.warn(
          { model, version, path },
          'cached registry model is corrupt, downloading it again',
        );
      const digest = await download(client, model, version, path);
      if (digest !== expected)
        throw new DataLossError(`downloaded SHA-256 ${digest}, the version records ${expected}`);
      return { version, path, stamp: digest };
    } catch (error) {
      throw new Error(`registry version ${model}:${version}: ${describe(error)}`, { cause: error });
    }
  }

  const load = (model: string, version: number) =>
    manager.loadExternal(model, () => fetchVersion(model, version)).catch(() => undefined);

  async function loadAlias(model: string, alias: string): Promise<void> {
    let version: number;
    try {
      const found = await client.getAlias({ model, alias });
      version = Number(found.alias?.version ?? 0n);
      const at = found.alias?.revision ?? 0n;
      // Resume the watch from the oldest alias read, so no move after any of them is missed.
      if (revision === 0n || at < revision) revision = at;
    } catch (error) {
      replay = true;
      targets.set(`${model}@${alias}`, 0);
      await manager
        .loadExternal(model, () =>
          Promise.reject(new Error(`registry alias ${model}@${alias}: ${describe(error)}`)),
        )
        .catch(() => undefined);
      return;
    }
    targets.set(`${model}@${alias}`, version);
    await load(model, version);
  }

  async function watch(aliases: { model: string; alias: string }[]): Promise<void> {
    while (!aborter.signal.aborted) {
      try {
        const stream = client.watchAliases(
          { aliases, afterRevision: revision },
          { timeoutMs: 0, signal: aborter.signal },
        );
        for await (const message of stream) {
          if (message.event.case !== 'move') continue;
          const move = message.event.value;
          revision = move.revision;
          const key = `${move.model}@${move.alias}`;
          const to = Number(move.toVersion);
          if (!targets.has(key) || targets.get(key) === to || to === 0) continue;
          targets.set(key, to);
          log.info({ model: move.model, alias: move.alias, version: to }, 'registry alias moved');
          // Not awaited: one slow download must not hold back the moves of other models.
          void load(move.model, to);
        }
      } catch (error) {
        if (aborter.signal.aborted) return;
        log.warn({ reason: describe(error) }, 'registry alias watch failed, retrying');
      }
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs).unref());
    }
  }

  return {
    async start() {
      await Promise.all(
        options.refs.map((ref) =>
          'alias' in ref ? loadAlias(ref.model, ref.alias) : load(ref.model, ref.version),
        ),
      );
      const aliases = options.refs.flatMap((ref) =>
        'alias' in ref ? [{ model: ref.model, alias: ref.alias }] : [],
      );
      if (replay) revision = 0n;
      if (aliases.length > 0) void watch(aliases);
    },
    close() {
      aborter.abort();
    },
  };
}
