import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { FailedPreconditionError, NotFoundError } from '@verdict/errors';
import type { ModelMetrics } from '../observability/model-metrics';
import { parseModelConfig, selectVersions, type ModelDefaults } from './model-config';
import { loadModelVersion, type ModelVersion } from './model-version';

/** File name of a version's model inside `<repository>/<model>/<version>/`. */
export const MODEL_FILE = 'model.onnx';
/** File name of a model's optional settings inside `<repository>/<model>/`. */
export const CONFIG_FILE = 'config.yaml';

/** Options of {@link createModelManager}. */
export interface ModelManagerOptions {
  /** The local model repository: `<dir>/<model>/<version>/model.onnx` and optional `<dir>/<model>/config.yaml`. */
  readonly dir: string;
  readonly defaults: ModelDefaults;
  readonly metrics: ModelMetrics;
  readonly log: {
    warn(fields: object, message: string): void;
    info(fields: object, message: string): void;
  };
}

/** One row of RepositoryIndex. */
export interface IndexEntry {
  readonly name: string;
  readonly version: string;
  readonly state: 'READY' | 'UNAVAILABLE' | 'LOADING';
  readonly reason: string;
}

/** The models being served, their versions, and how they change. */
export interface ModelManager {
  /** Loads every model in the repository; failures are recorded, not thrown. */
  loadAll(): Promise<void>;
  /**
   * (Re)loads one model from the repository by its version policy: new versions are loaded and
   * warmed before they take traffic, unchanged ones keep serving, dropped ones drain and end.
   * A version that fails leaves what served before in place, and the load fails.
   */
  load(name: string): Promise<void>;
  /**
   * Serves exactly one version of a model from a file outside the repository (the registry's
   * cache): `fetch` brings the file, then it loads and warms like a repository version and the
   * other versions drain. A failure, of the fetch too, leaves what served before and is recorded.
   */
  loadExternal(name: string, fetch: () => Promise<ExternalVersion>): Promise<void>;
  /** Stops serving a model: its versions finish what they hold, then end. */
  unload(name: string): Promise<void>;
  /** The version a request goes to: the named one, or the highest served. NOT_FOUND names what exists. */
  resolve(name: string, version: string): ModelVersion;
  /** Served versions of a model, highest first (NOT_FOUND when the model is not served). */
  versions(name: string): ModelVersion[];
  /** Every served version. */
  all(): ModelVersion[];
  /** Models in the repository and in memory, with their state. */
  index(): Promise<IndexEntry[]>;
  close(): Promise<void>;
}

/** A version file that {@link ModelManager.loadExternal} serves. */
export interface ExternalVersion {
  readonly version: number;
  readonly path: string;
  /** Identifies the file's content (its SHA-256): a reload keeps a version whose stamp is unchanged. */
  readonly stamp: string;
}

interface ModelEntry {
  versions: Map<number, ModelVersion>;
  loading: boolean;
  /** Why the last load failed, kept until a load succeeds. */
  failure: string | undefined;
  /** Serialises loads and unloads of one model. */
  chain: Promise<void>;
}

/** Creates the manager of a local model repository. */
export function createModelManager(options: ModelManagerOptions): ModelManager {
  const models = new Map<string, ModelEntry>();
  const entry = (name: string): ModelEntry => {
    let found = models.get(name);
    if (found === undefined) {
      found = { versions: new Map(), loading: false, failure: undefined, chain: Promise.resolve() };
      models.set(name, found);
    }
    return found;
  };
  const serialise = (name: string, task: (model: ModelEntry) => Promise<void>): Promise<void> => {
    const model = entry(name);
    const run = model.chain.then(() => task(model));
    model.chain = run.catch(() => undefined);
    return run;
  };
  const served = () =>
    [...models.entries()].filter(([, model]) => model.versions.size > 0).map(([name]) => name);

  async function repositoryModels(): Promise<string[]> {
    const entries = await readdir(options.dir, { withFileTypes: true }).catch(() => []);
    return entries
      .filter((dirent) => dirent.isDirectory())
      .map((dirent) => dirent.name)
      .sort();
  }

  async function presentVersions(name: string): Promise<Map<number, string>> {
    const modelDir = join(options.dir, name);
    const entries = await readdir(modelDir, { withFileTypes: true }).catch(() => {
      throw new NotFoundError({ kind: 'model in the repository', resource: name, available: [] });
    });
    const present = new Map<number, string>();
    for (const dirent of entries) {
      if (!dirent.isDirectory() || !/^[1-9][0-9]*$/.test(dirent.name)) continue;
      const file = join(modelDir, dirent.name, MODEL_FILE);
      const info = await stat(file).catch(() => undefined);
      if (info?.isFile()) present.set(Number(dirent.name), `${info.size}:${info.mtimeMs}`);
    }
    return present;
  }

  async function loadModel(
    name: string,
    model: ModelEntry,
    fetch?: () => Promise<ExternalVersion>,
  ): Promise<void> {
    model.loading = true;
    try {
      const external = await fetch?.();
      const present =
        external === undefined
          ? await presentVersions(name)
          : new Map([[external.version, external.stamp]]);
      const pathOf = (version: number) =>
        external?.path ?? join(options.dir, name, String(version), MODEL_FILE);
      // A registry model has no config.yaml: the server's defaults and the file's signature rule.
      const configText =
        external !== undefined
          ? undefined
          : await readFile(join(options.dir, name, CONFIG_FILE), 'utf8').catch(
              (error: NodeJS.ErrnoException) => {
                if (error.code === 'ENOENT') return undefined;
                throw error;
              },
            );
      const fresh = new Map<number, ModelVersion>();
      const wanted = (signatureSettings: Parameters<typeof parseModelConfig>[1]) =>
        parseModelConfig(configText, signatureSettings, options.defaults);
      // The version policy does not depend on the signature, so it is read before any file is.
      const policy = parseModelConfig(
        configText,
        { inputs: [], outputs: [] },
        { ...options.defaults, autoMaxBatchSize: 0 },
      ).versionPolicy;
      const selected =
        external === undefined ? selectVersions(policy, [...present.keys()]) : [external.version];
      if (selected.length === 0)
        throw new FailedPreconditionError(
          `model ${name} has no version its version policy serves (present: ${[...present.keys()].join(', ') || 'none'})`,
        );
      const failures: string[] = [];
      await Promise.all(
        selected.map(async (version) => {
          const current = model.versions.get(version);
          const stamp = present.get(version)!;
          if (current !== undefined && current.fileStamp === stamp) {
            fresh.set(version, current);
            return;
          }
          try {
            const loaded = await loadModelVersion({
              name,
              version,
              path: pathOf(version),
              fileStamp: stamp,
              settings: wanted,
              metrics: options.metrics,
              onProviderFallback: (reason) =>
                options.log.warn(
                  { model: name, version, reason },
                  'cuda unavailable, running on cpu',
                ),
            });
            fresh.set(version, loaded);
          } catch (error) {
            failures.push(`version ${version}: ${(error as Error).message}`);
          }
        }),
      );
      if (failures.length > 0) {
        // Keep what served before; drop the versions that did load this time.
        await Promise.all(
          [...fresh.values()]
            .filter((v) => model.versions.get(v.version) !== v)
            .map((v) => v.retire()),
        );
        throw new FailedPreconditionError(`model ${name} failed to load: ${failures.join('; ')}`);
      }
      const retired = [...model.versions.values()].filter((v) => fresh.get(v.version) !== v);
      model.versions = fresh;
      model.failure = undefined;
      options.log.info({ model: name, versions: [...fresh.keys()] }, 'model loaded');
      await Promise.all(retired.map((v) => v.retire()));
    } catch (error) {
      model.failure = (error as Error).message;
      options.metrics.loadFailures.inc({ model: name });
      options.log.warn({ model: name, reason: model.failure }, 'model load failed');
      throw error;
    } finally {
      model.loading = false;
    }
  }

  const manager: ModelManager = {
    async loadAll() {
      await Promise.all(
        (await repositoryModels()).map((name) => manager.load(name).catch(() => undefined)),
      );
    },
    load: (name) => serialise(name, (model) => loadModel(name, model)),
    loadExternal: (name, fetch) => serialise(name, (model) => loadModel(name, model, fetch)),
    unload: (name) =>
      serialise(name, async (model) => {
        const retired = [...model.versions.values()];
        if (retired.length === 0 && model.failure === undefined)
          throw new NotFoundError({ kind: 'model', resource: name, available: served() });
        model.versions = new Map();
        model.failure = undefined;
        await Promise.all(retired.map((v) => v.retire()));
      }),
    resolve(name, version) {
      const versions = manager.versions(name);
      if (version === '') return versions[0];
      const found = versions.find((v) => String(v.version) === version);
      if (found === undefined)
        throw new NotFoundError({
          kind: 'model version',
          resource: `${name} version ${version}`,
          available: versions.map((v) => String(v.version)),
        });
      return found;
    },
    versions(name) {
      const model = models.get(name);
      if (model === undefined || model.versions.size === 0)
        throw new NotFoundError({ kind: 'model', resource: name, available: served() });
      return [...model.versions.values()].sort((a, b) => b.version - a.version);
    },
    all: () => [...models.values()].flatMap((model) => [...model.versions.values()]),
    async index() {
      const names = new Set([...(await repositoryModels()), ...models.keys()]);
      const rows: IndexEntry[] = [];
      for (const name of [...names].sort()) {
        const model = models.get(name);
        const versions = [...(model?.versions.values() ?? [])].sort(
          (a, b) => a.version - b.version,
        );
        if (versions.length === 0) {
          rows.push({
            name,
            version: '',
            state: model?.loading ? 'LOADING' : 'UNAVAILABLE',
            reason: model?.failure ?? 'unloaded',
          });
          continue;
        }
        for (const v of versions)
          rows.push({
            name,
            version: String(v.version),
            state: 'READY',
            reason: model?.failure ?? '',
          });
      }
      return rows;
    },
    async close() {
      const all = manager.all();
      models.clear();
      await Promise.all(all.map((v) => v.retire()));
    },
  };
  return manager;
}
