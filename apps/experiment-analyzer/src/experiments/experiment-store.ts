import { fromBinary, toBinary } from '@bufbuild/protobuf';
import {
  AbortedError,
  AlreadyExistsError,
  InvalidArgumentError,
  NotFoundError,
} from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { VersionConflictError, type Store } from '@verdict/store';

type Experiment = experimentsV1.Experiment;
type Decision = experimentsV1.Decision;

/** Store keys of the analyzer's control state. */
export const KEYS = {
  experiment: (id: string) => `exp/e/${id}`,
  experimentPrefix: 'exp/e/',
  /** Index newest first: inverted creation time, then id. */
  index: (createMs: number, id: string) => `exp/i/${inverted(createMs)}/${id}`,
  indexPrefix: 'exp/i/',
  /** Claims a name on a model. */
  name: (model: string, name: string) => `exp/n/${model}/${name}`,
  decision: (experimentId: string, timeMs: number, id: string) =>
    `exp/d/${experimentId}/${inverted(timeMs)}/${id}`,
  decisionPrefix: (experimentId: string) => `exp/d/${experimentId}/`,
  /** Last policy evaluation of an experiment, claimed with compare-and-set across replicas. */
  evaluation: (experimentId: string) => `exp/eval/${experimentId}`,
};

// Milliseconds below this sort correctly newest first (the year 33658).
const TIME_CEILING = 1e15;

function inverted(ms: number): string {
  return String(TIME_CEILING - ms).padStart(16, '0');
}

/** Page tokens are opaque to callers: the last key of the previous page, base64url. */
export function encodePageToken(lastKey: string): string {
  return Buffer.from(lastKey, 'utf8').toString('base64url');
}

/** @throws InvalidArgumentError for a token this service did not issue */
export function decodePageToken(token: string, prefix: string): string | undefined {
  if (token === '') return undefined;
  const key = Buffer.from(token, 'base64url').toString('utf8');
  if (!key.startsWith(prefix)) {
    throw new InvalidArgumentError({
      field: 'page_token',
      expected: 'a next_page_token from the previous page of the same listing',
      received: JSON.stringify(token.slice(0, 40)),
    });
  }
  return key;
}

/** Experiments and decisions as stored; an experiment's `version` is its store version. */
export interface ExperimentStore {
  /** @throws NotFoundError naming the experiment */
  get(id: string): Promise<Experiment>;
  /** Undefined when absent. */
  find(id: string): Promise<Experiment | undefined>;
  /** Every experiment (for building routing tables and the decision loop). */
  all(): Promise<Experiment[]>;
  /**
   * Stores a new experiment (version 1) and claims its name on the model.
   * @throws AlreadyExistsError when the model has an experiment of that name
   */
  insert(experiment: Experiment, createMs: number): Promise<Experiment>;
  /**
   * Replaces an experiment if its stored version is still `expectedVersion`; sets `version`.
   * @throws AbortedError (VersionConflictError) when it changed since
   */
  replace(
    experiment: Experiment,
    expectedVersion: bigint,
    previousName: string,
  ): Promise<Experiment>;
  /** A page of experiments, newest first, that pass `keep`. */
  list(
    keep: (experiment: Experiment) => boolean,
    pageSize: number,
    pageToken: string,
  ): Promise<{ experiments: Experiment[]; nextPageToken: string }>;
  addDecision(decision: Decision, timeMs: number): Promise<void>;
  /** Decisions of an experiment, newest first. */
  listDecisions(
    experimentId: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ decisions: Decision[]; nextPageToken: string }>;
}

const decodeExperiment = (entry: { value: Uint8Array; version: number }) => {
  const experiment = fromBinary(experimentsV1.ExperimentSchema, entry.value);
  experiment.version = BigInt(entry.version);
  return experiment;
};

/** Creates the experiment store over a {@link Store}. */
export function createExperimentStore(store: Store): ExperimentStore {
  const encode = (experiment: Experiment) => toBinary(experimentsV1.ExperimentSchema, experiment);

  const find = async (id: string) => {
    if (id === '') return undefined;
    const entry = await store.get(KEYS.experiment(id));
    return entry === undefined ? undefined : decodeExperiment(entry);
  };

  const claimName = async (experiment: Experiment) => {
    const key = KEYS.name(experiment.model, experiment.name);
    const holder = await store.get(key);
    if (holder !== undefined && Buffer.from(holder.value).toString('utf8') !== experiment.id) {
      throw new AlreadyExistsError({
        kind: 'experiment',
        resource: `${experiment.model}/${experiment.name}`,
      });
    }
    if (holder !== undefined) return;
    try {
      await store.put(key, Buffer.from(experiment.id, 'utf8'), { expectedVersion: 0 });
    } catch (error) {
      if (error instanceof VersionConflictError) {
        throw new AlreadyExistsError({
          kind: 'experiment',
          resource: `${experiment.model}/${experiment.name}`,
        });
      }
      throw error;
    }
  };

  return {
    find,
    async get(id) {
      const experiment = await find(id);
      if (experiment === undefined) throw new NotFoundError({ kind: 'experiment', resource: id });
      return experiment;
    },
    async all() {
      return (await store.scan(KEYS.experimentPrefix)).map(decodeExperiment);
    },
    async insert(experiment, createMs) {
      await claimName(experiment);
      experiment.version = 1n;
      await store.put(KEYS.experiment(experiment.id), encode(experiment), { expectedVersion: 0 });
      await store.put(KEYS.index(createMs, experiment.id), new Uint8Array(0));
      return experiment;
    },
    async replace(experiment, expectedVersion, previousName) {
      const renamed = experiment.name !== previousName;
      if (renamed) await claimName(experiment);
      let version: number;
      try {
        version = await store.put(KEYS.experiment(experiment.id), encode(experiment), {
          expectedVersion: Number(expectedVersion),
        });
      } catch (error) {
        if (renamed) await store.delete(KEYS.name(experiment.model, experiment.name));
        if (error instanceof VersionConflictError) {
          throw new AbortedError(
            `experiment ${experiment.id} has changed: expected version ${expectedVersion}, it is at ${error.actualVersion}; read it again`,
          );
        }
        throw error;
      }
      experiment.version = BigInt(version);
      if (renamed) await store.delete(KEYS.name(experiment.model, previousName));
      return experiment;
    },
    async list(keep, pageSize, pageToken) {
      const experiments: Experiment[] = [];
      let after = decodePageToken(pageToken, KEYS.indexPrefix);
      let nextPageToken = '';
      // Filtering happens after reading, so keep reading pages until this one is full.
      for (;;) {
        const entries = await store.scan(KEYS.indexPrefix, {
          ...(after === undefined ? {} : { after }),
          limit: pageSize,
        });
        for (const entry of entries) {
          after = entry.key;
          const experiment = await find(entry.key.slice(entry.key.lastIndexOf('/') + 1));
          if (experiment === undefined || !keep(experiment)) continue;
          experiments.push(experiment);
          if (experiments.length === pageSize) break;
        }
        if (experiments.length === pageSize) {
          nextPageToken = encodePageToken(after!);
          break;
        }
        if (entries.length < pageSize) break;
      }
      return { experiments, nextPageToken };
    },
    async addDecision(decision, timeMs) {
      await store.put(
        KEYS.decision(decision.experimentId, timeMs, decision.id),
        toBinary(experimentsV1.DecisionSchema, decision),
      );
    },
    async listDecisions(experimentId, pageSize, pageToken) {
      const prefix = KEYS.decisionPrefix(experimentId);
      const after = decodePageToken(pageToken, prefix);
      const entries = await store.scan(prefix, {
        ...(after === undefined ? {} : { after }),
        limit: pageSize + 1,
      });
      const page = entries.slice(0, pageSize);
      return {
        decisions: page.map((entry) => fromBinary(experimentsV1.DecisionSchema, entry.value)),
        nextPageToken: entries.length > pageSize ? encodePageToken(page.at(-1)!.key) : '',
      };
    },
  };
}
