import { randomBytes } from 'node:crypto';
import { clone } from '@bufbuild/protobuf';
import { timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AbortedError, InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { PoolConfig } from '../config';
import type { RoutingTables } from '../routing/routing-tables';
import type { Access, Actor } from './access';
import { createExperimentStore, type ExperimentStore } from './experiment-store';
import { checkTransition, stateName, type Transition } from './lifecycle';
import type { ModelRegistry } from './model-registry';
import { createOutcomes, type Outcomes } from './outcomes';
import { checkRoutable } from './routable';
import { BUCKETS, validateDefinition, withPolicyDefaults } from './validate';
import type { Store } from '@verdict/store';

type Experiment = experimentsV1.Experiment;
type Decision = experimentsV1.Decision;
const { ExperimentState } = experimentsV1;

/** Options of {@link createExperiments}. */
export interface ExperimentsOptions {
  store: Store;
  access: Access;
  pools: readonly PoolConfig[];
  tables: RoutingTables;
  /** Where promotions move aliases; without it, promoting fails with FAILED_PRECONDITION. */
  registry?: ModelRegistry;
  /** @default () => new Date() */
  now?: () => Date;
  /** @default 50 */
  defaultPageSize?: number;
  /** @default 1000 */
  maxPageSize?: number;
  /** Called after each decision is stored (for metrics). */
  onDecision?: (decision: Decision) => void;
}

export { DEFAULT_PROMOTION_ALIAS } from './outcomes';
export type { Conclusion, DecisionBasis } from './outcomes';

/** The analyzer's experiment operations, free of any transport. */
export interface Experiments extends Outcomes {
  create(actor: Actor, definition: Experiment): Promise<Experiment>;
  update(actor: Actor, definition: Experiment, expectedVersion: bigint): Promise<Experiment>;
  get(actor: Actor, id: string): Promise<Experiment>;
  list(
    actor: Actor,
    query: {
      model: string;
      team: string;
      state: experimentsV1.ExperimentState;
      pageSize: number;
      pageToken: string;
    },
  ): Promise<{ experiments: Experiment[]; nextPageToken: string }>;
  transition(
    actor: Actor,
    transition: 'start' | 'pause' | 'stop',
    id: string,
    reason: string,
  ): Promise<Experiment>;
  /** The stored experiments (for the decision loop and ingest); no permission check. */
  readonly stored: ExperimentStore;
}

const resourceOf = (id: string) => `experiment/${id}`;

/** Creates the experiment operations. */
export function createExperiments(options: ExperimentsOptions): Experiments {
  const { access, tables } = options;
  const stored = createExperimentStore(options.store);
  const now = options.now ?? (() => new Date());
  const poolNames = new Set(options.pools.map((pool) => pool.name));
  const defaultPageSize = options.defaultPageSize ?? 50;
  const maxPageSize = options.maxPageSize ?? 1000;

  const pageSize = (requested: number) =>
    requested === 0 ? defaultPageSize : Math.min(requested, maxPageSize);

  /** Experiments of one model and layer may not share buckets of the layer. */
  const checkLayerDisjoint = async (experiment: Experiment) => {
    if (experiment.layer === '') return;
    const range = (e: Experiment) => e.layerRange ?? { start: 0, end: BUCKETS };
    const mine = range(experiment);
    for (const other of await stored.all()) {
      if (other.id === experiment.id || other.model !== experiment.model) continue;
      if (other.layer !== experiment.layer || other.state === ExperimentState.CONCLUDED) continue;
      const theirs = range(other);
      if (mine.start < theirs.end && theirs.start < mine.end) {
        throw new InvalidArgumentError({
          field: 'experiment.layer_range',
          expected: `buckets of layer ${experiment.layer} disjoint from experiment ${other.id} [${theirs.start}, ${theirs.end})`,
          received: `[${mine.start}, ${mine.end})`,
        });
      }
    }
  };

  const touch = (experiment: Experiment) => {
    experiment.updateTime = timestampFromDate(now());
  };

  const outcomes = createOutcomes({
    stored,
    access,
    tables,
    registry: options.registry,
    now,
    poolNames,
    pageSize,
    onDecision: options.onDecision,
  });

  return {
    stored,
    ...outcomes,

    async create(actor, definition) {
      const experiment = clone(experimentsV1.ExperimentSchema, definition);
      validateDefinition(experiment, poolNames);
      checkRoutable(experiment, options.pools);
      experiment.team ||= access.teamOf(actor);
      access.require(
        actor,
        'experiment:write',
        experiment.team,
        `experiment/${experiment.model}/${experiment.name}`,
      );
      await checkLayerDisjoint(experiment);
      withPolicyDefaults(experiment);
      const at = now();
      experiment.id = `exp-${randomBytes(6).toString('hex')}`;
      experiment.salt ||= randomBytes(8).toString('hex');
      experiment.state = ExperimentState.DRAFT;
      experiment.createdBy = actor.principal.id;
      experiment.createTime = timestampFromDate(at);
      experiment.updateTime = timestampFromDate(at);
      experiment.startTime = undefined;
      experiment.endTime = undefined;
      experiment.winner = '';
      await stored.insert(experiment, at.getTime());
      const table = await tables.rebuild();
      access.record(actor, 'experiment.create', resourceOf(experiment.id), {
        model: experiment.model,
        name: experiment.name,
        team: experiment.team,
        kind: experimentsV1.ExperimentKind[experiment.kind] ?? String(experiment.kind),
        table_version: String(table.version),
      });
      return experiment;
    },

    async update(actor, definition, expectedVersion) {
      const current = await stored.get(definition.id);
      access.require(actor, 'experiment:write', current.team, resourceOf(current.id));
      checkTransition('update', current.id, current.state);
      if (definition.model !== current.model) {
        throw new InvalidArgumentError({
          field: 'experiment.model',
          expected: `unchanged (${current.model})`,
          received: definition.model,
        });
      }
      if (definition.kind !== current.kind) {
        throw new InvalidArgumentError({
          field: 'experiment.kind',
          expected: `unchanged (${experimentsV1.ExperimentKind[current.kind]})`,
          received: String(definition.kind),
        });
      }
      if (
        definition.salt !== '' &&
        definition.salt !== current.salt &&
        current.state !== ExperimentState.DRAFT
      ) {
        throw new InvalidArgumentError({
          field: 'experiment.salt',
          expected: 'unchanged once the experiment has started (units would move)',
          received: definition.salt,
        });
      }
      const experiment = clone(experimentsV1.ExperimentSchema, definition);
      validateDefinition(experiment, poolNames);
      checkRoutable(experiment, options.pools);
      experiment.team ||= current.team;
      if (experiment.team !== current.team) {
        access.require(actor, 'experiment:write', experiment.team, resourceOf(current.id));
      }
      if (expectedVersion !== current.version) {
        throw new AbortedError(
          `experiment ${current.id} has changed: expected version ${expectedVersion}, it is at ${current.version}; read it again`,
        );
      }
      await checkLayerDisjoint(experiment);
      withPolicyDefaults(experiment);
      for (const field of [
        'state',
        'createdBy',
        'createTime',
        'startTime',
        'endTime',
        'winner',
      ] as const) {
        (experiment as unknown as Record<string, unknown>)[field] = current[field];
      }
      experiment.salt ||= current.salt;
      touch(experiment);
      await stored.replace(experiment, expectedVersion, current.name);
      const table = await tables.rebuild();
      access.record(actor, 'experiment.update', resourceOf(experiment.id), {
        version: String(experiment.version),
        table_version: String(table.version),
      });
      return experiment;
    },

    async get(actor, id) {
      const experiment = await stored.get(id);
      access.require(actor, 'experiment:read', experiment.team, resourceOf(id));
      return experiment;
    },

    async list(actor, query) {
      return stored.list(
        (e) =>
          (query.model === '' || e.model === query.model) &&
          (query.team === '' || e.team === query.team) &&
          (query.state === ExperimentState.UNSPECIFIED || e.state === query.state) &&
          access.allows(actor, 'experiment:read', e.team),
        pageSize(query.pageSize),
        query.pageToken,
      );
    },

    async transition(actor, transition: Transition & ('start' | 'pause' | 'stop'), id, reason) {
      const experiment = await stored.get(id);
      access.require(actor, 'experiment:write', experiment.team, resourceOf(id));
      checkTransition(transition, id, experiment.state);
      const from = experiment.state;
      const at = now();
      experiment.state =
        transition === 'start'
          ? ExperimentState.RUNNING
          : transition === 'pause'
            ? ExperimentState.PAUSED
            : ExperimentState.STOPPED;
      if (transition === 'start') experiment.startTime = timestampFromDate(at);
      if (transition === 'stop') experiment.endTime = timestampFromDate(at);
      touch(experiment);
      await stored.replace(experiment, experiment.version, experiment.name);
      const table = await tables.rebuild();
      access.record(actor, `experiment.${transition}`, resourceOf(id), {
        from: stateName(from),
        to: stateName(experiment.state),
        reason,
        table_version: String(table.version),
      });
      return experiment;
    },
  };
}
