import { randomBytes, randomUUID } from 'node:crypto';
import { clone, create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { AbortedError, FailedPreconditionError, InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { PoolConfig } from '../config';
import type { RoutingTables } from '../routing/routing-tables';
import { controlOf } from '../routing/build-table';
import type { Access, Actor } from './access';
import { createExperimentStore, type ExperimentStore } from './experiment-store';
import { checkTransition, stateName, type Transition } from './lifecycle';
import type { ModelRegistry } from './model-registry';
import { BUCKETS, checkLabel, validateDefinition, withPolicyDefaults } from './validate';
import type { Store } from '@verdict/store';

type Experiment = experimentsV1.Experiment;
type Decision = experimentsV1.Decision;
const { ExperimentState, DecisionAction } = experimentsV1;

/** Alias a promotion moves when the request names none. */
export const DEFAULT_PROMOTION_ALIAS = 'production';

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

/** A conclusion, by a person or by the decision loop. */
export interface Conclusion {
  id: string;
  /** Winning variant; empty for no difference. */
  winner: string;
  /** Move the registry alias to the winner's version. */
  promote: boolean;
  /** Alias to move; empty for {@link DEFAULT_PROMOTION_ALIAS}. */
  alias: string;
  reason: string;
}

/** Figures behind an automatic decision, recorded with it. */
export interface DecisionBasis {
  action: experimentsV1.DecisionAction;
  reason: string;
  numbers: Record<string, number>;
}

/** The analyzer's experiment operations, free of any transport. */
export interface Experiments {
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
  /**
   * Ends an experiment with a winner (or none); with `promote`, first moves the registry alias
   * to the winner's version, so a failed move changes nothing here.
   * @param basis - for automatic decisions: the action and figures to record; `authorized`
   *   false skips the permission check (the analyzer acting under its own policy)
   */
  conclude(
    actor: Actor,
    conclusion: Conclusion,
    basis?: DecisionBasis & { authorized: false },
  ): Promise<{ experiment: Experiment; decision: Decision }>;
  /**
   * Sets new weights of a running experiment (a canary step or a bandit re-balance) by the
   * analyzer's own decision, and records it. @throws AbortedError when it changed since `expectedVersion`
   */
  applyWeights(
    actor: Actor,
    id: string,
    expectedVersion: bigint,
    weights: Readonly<Record<string, number>>,
    basis: DecisionBasis & { variant: string },
  ): Promise<{ experiment: Experiment; decision: Decision }>;
  /** Records a decision that changes nothing (a recommendation, or one that could not apply). */
  recordDecision(
    actor: Actor,
    experiment: Experiment,
    basis: DecisionBasis & { variant: string; applied: boolean },
  ): Promise<Decision>;
  listDecisions(
    actor: Actor,
    query: { experimentId: string; pageSize: number; pageToken: string },
  ): Promise<{ decisions: Decision[]; nextPageToken: string }>;
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

  const decisionOf = (
    actor: Actor,
    experiment: Experiment,
    tableVersion: bigint,
    fields: {
      action: experimentsV1.DecisionAction;
      reason: string;
      numbers: Record<string, number>;
      variant: string;
      applied: boolean;
    },
  ) =>
    create(experimentsV1.DecisionSchema, {
      id: randomUUID(),
      experimentId: experiment.id,
      time: timestampFromDate(now()),
      action: fields.action,
      reason: fields.reason,
      numbers: fields.numbers,
      variant: fields.variant,
      actor: actor.principal.id,
      experimentVersion: experiment.version,
      routingTableVersion: tableVersion,
      applied: fields.applied,
    });

  const saveDecision = async (decision: Decision) => {
    await stored.addDecision(decision, timestampDate(decision.time!).getTime());
    options.onDecision?.(decision);
    return decision;
  };

  const touch = (experiment: Experiment) => {
    experiment.updateTime = timestampFromDate(now());
  };

  return {
    stored,

    async create(actor, definition) {
      const experiment = clone(experimentsV1.ExperimentSchema, definition);
      validateDefinition(experiment, poolNames);
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

    async conclude(actor, conclusion, basis) {
      const experiment = await stored.get(conclusion.id);
      if (basis?.authorized !== false) {
        access.require(actor, 'experiment:write', experiment.team, resourceOf(experiment.id));
      }
      checkTransition('conclude', experiment.id, experiment.state);
      const winner =
        conclusion.winner === ''
          ? undefined
          : experiment.variants.find((v) => v.name === conclusion.winner);
      if (conclusion.winner !== '' && winner === undefined) {
        throw new InvalidArgumentError({
          field: 'winner',
          expected: `a variant of the experiment (${experiment.variants.map((v) => v.name).join(', ')}) or empty`,
          received: JSON.stringify(conclusion.winner),
        });
      }
      const alias = conclusion.alias || DEFAULT_PROMOTION_ALIAS;
      let promotedVersion: bigint | undefined;
      if (conclusion.promote) {
        if (winner === undefined) {
          throw new InvalidArgumentError({
            field: 'promote',
            expected: 'false when there is no winner',
            received: 'true',
          });
        }
        checkLabel('alias', alias);
        if (options.registry === undefined) {
          throw new FailedPreconditionError(
            'cannot promote: no model registry configured (VERDICT_REGISTRY_ADDRESS)',
          );
        }
        promotedVersion =
          winner.target.case === 'version'
            ? winner.target.value
            : await options.registry.resolveAlias(experiment.model, winner.target.value ?? '');
        await options.registry.moveAlias(experiment.model, alias, promotedVersion);
      }
      const control = controlOf(experiment);
      experiment.state = ExperimentState.CONCLUDED;
      experiment.winner = winner?.name ?? '';
      experiment.endTime = timestampFromDate(now());
      touch(experiment);
      await stored.replace(experiment, experiment.version, experiment.name);
      const table = await tables.rebuild();
      const action =
        basis?.action ??
        (winner === undefined
          ? DecisionAction.NO_DIFFERENCE
          : winner.name === control.name
            ? DecisionAction.ROLLBACK
            : DecisionAction.PROMOTE);
      const decision = await saveDecision(
        decisionOf(actor, experiment, table.version, {
          action,
          reason: basis?.reason ?? conclusion.reason,
          numbers: basis?.numbers ?? {},
          variant: winner?.name ?? '',
          applied: true,
        }),
      );
      access.record(actor, 'experiment.conclude', resourceOf(experiment.id), {
        winner: experiment.winner,
        action: DecisionAction[action] ?? String(action),
        promoted:
          promotedVersion === undefined ? '' : `${experiment.model}@${alias}=${promotedVersion}`,
        reason: basis?.reason ?? conclusion.reason,
        decision: decision.id,
        table_version: String(table.version),
      });
      return { experiment, decision };
    },

    async applyWeights(actor, id, expectedVersion, weights, basis) {
      const experiment = await stored.get(id);
      checkTransition('update', id, experiment.state);
      const before: Record<string, string> = {};
      for (const variant of experiment.variants) {
        const weight = weights[variant.name];
        if (weight === undefined) continue;
        if (!Number.isFinite(weight) || weight < 0) {
          throw new InvalidArgumentError({
            field: `weights.${variant.name}`,
            expected: 'a finite weight >= 0',
            received: String(weight),
          });
        }
        before[variant.name] = String(variant.weight);
        variant.weight = weight;
      }
      validateDefinition(experiment, poolNames);
      touch(experiment);
      await stored.replace(experiment, expectedVersion, experiment.name);
      const table = await tables.rebuild();
      const decision = await saveDecision(
        decisionOf(actor, experiment, table.version, { ...basis, applied: true }),
      );
      access.record(actor, 'experiment.weights', resourceOf(id), {
        action: DecisionAction[basis.action] ?? String(basis.action),
        weights: JSON.stringify(weights),
        previous: JSON.stringify(before),
        reason: basis.reason,
        decision: decision.id,
        table_version: String(table.version),
      });
      return { experiment, decision };
    },

    async recordDecision(actor, experiment, basis) {
      const decision = await saveDecision(decisionOf(actor, experiment, 0n, basis));
      access.record(actor, 'experiment.decision', resourceOf(experiment.id), {
        action: DecisionAction[basis.action] ?? String(basis.action),
        variant: basis.variant,
        applied: String(basis.applied),
        reason: basis.reason,
        decision: decision.id,
      });
      return decision;
    },

    async listDecisions(actor, query) {
      const experiment = await stored.get(query.experimentId);
      access.require(actor, 'experiment:read', experiment.team, resourceOf(experiment.id));
      return stored.listDecisions(experiment.id, pageSize(query.pageSize), query.pageToken);
    },
  };
}
