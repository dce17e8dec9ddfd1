import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { FailedPreconditionError, InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { controlOf } from '../routing/build-table';
import type { RoutingTables } from '../routing/routing-tables';
import type { Access, Actor } from './access';
import type { ExperimentStore } from './experiment-store';
import { checkTransition } from './lifecycle';
import type { ModelRegistry } from './model-registry';
import { checkLabel, validateDefinition } from './validate';

type Experiment = experimentsV1.Experiment;
type Decision = experimentsV1.Decision;
const { ExperimentState, DecisionAction } = experimentsV1;

/** Alias a promotion moves when the request names none. */
export const DEFAULT_PROMOTION_ALIAS = 'production';

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

/** What {@link createOutcomes} works with, shared with the rest of the experiment operations. */
export interface OutcomeDeps {
  stored: ExperimentStore;
  access: Access;
  tables: RoutingTables;
  registry: ModelRegistry | undefined;
  now: () => Date;
  poolNames: ReadonlySet<string>;
  pageSize: (requested: number) => number;
  onDecision: ((decision: Decision) => void) | undefined;
}

/** How experiments end and change by decision: conclusions, weight steps, decision records. */
export interface Outcomes {
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
}

const resourceOf = (id: string) => `experiment/${id}`;

/** Creates the decision-taking operations over the stored experiments. */
export function createOutcomes(deps: OutcomeDeps): Outcomes {
  const { stored, access, tables, now, poolNames, pageSize } = deps;
  const options = { registry: deps.registry, onDecision: deps.onDecision };

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
