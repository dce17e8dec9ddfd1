import { timestampDate } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { VersionConflictError, type Store } from '@verdict/store';
import { controlOf } from '../routing/build-table';
import type { DecisionDraft, EvaluatePolicy, ResultsPort } from '../service/stats-contract';
import type { Actor } from './access';
import { KEYS } from './experiment-store';
import type { Experiments } from './experiments';
import { durationMs, POLICY_DEFAULTS } from './validate';

type Experiment = experimentsV1.Experiment;
const { DecisionAction, ExperimentState } = experimentsV1;

/** Where the loop reports what it cannot throw to anyone. */
export interface LoopLogger {
  info(details: Record<string, unknown>, message: string): void;
  warn(details: Record<string, unknown>, message: string): void;
}

/** Options of {@link createDecisionLoop}. */
export interface DecisionLoopOptions {
  experiments: Experiments;
  results: ResultsPort;
  evaluate: EvaluatePolicy;
  /** Where replicas claim each evaluation, so only one of them acts on an interval. */
  store: Store;
  /** The analyzer's own identity: the actor of automatic decisions. */
  actor: Actor;
  /** How often running experiments are checked (each still waits its policy.interval). */
  tickMs: number;
  /** Whether promotions can move a registry alias (a registry is configured). */
  canMoveAlias: boolean;
  logger: LoopLogger;
  /** @default () => new Date() */
  now?: () => Date;
}

/** The periodic evaluation of running experiments' decision policies. */
export interface DecisionLoop {
  /** Evaluates every running experiment whose interval has elapsed; returns how many were evaluated. */
  tick(): Promise<number>;
  start(): void;
  /** Stops the timer and waits for a tick in progress. */
  stop(): Promise<void>;
}

const actionName = (action: experimentsV1.DecisionAction) =>
  DecisionAction[action] ?? String(action);

/** Creates the decision loop. */
export function createDecisionLoop(options: DecisionLoopOptions): DecisionLoop {
  const { experiments, store, actor, logger } = options;
  const now = options.now ?? (() => new Date());
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<number> | undefined;

  /** Claims the evaluation of this interval; false when it is not due or another replica took it. */
  const claim = async (experiment: Experiment, at: Date): Promise<boolean> => {
    const key = KEYS.evaluation(experiment.id);
    const entry = await store.get(key);
    const startMs =
      experiment.startTime === undefined ? 0 : timestampDate(experiment.startTime).getTime();
    const lastMs = Math.max(
      startMs,
      entry === undefined ? 0 : Number(Buffer.from(entry.value).toString('utf8')),
    );
    const interval = durationMs(experiment.policy?.interval) || POLICY_DEFAULTS.intervalMs;
    if (at.getTime() - lastMs < interval) return false;
    try {
      await store.put(key, Buffer.from(String(at.getTime())), {
        expectedVersion: entry?.version ?? 0,
      });
      return true;
    } catch (error) {
      if (error instanceof VersionConflictError) return false;
      throw error;
    }
  };

  /** A recommendation already recorded and not applied is not recorded again each interval. */
  const alreadyRecommended = async (experiment: Experiment, draft: DecisionDraft) => {
    const { decisions } = await experiments.stored.listDecisions(experiment.id, 1, '');
    const last = decisions[0];
    return (
      last !== undefined &&
      !last.applied &&
      last.action === draft.action &&
      last.variant === draft.variant
    );
  };

  const apply = async (experiment: Experiment, draft: DecisionDraft) => {
    const basis = {
      action: draft.action,
      reason: draft.reason,
      numbers: draft.numbers,
      authorized: false as const,
    };
    const conclude = (winner: string, promote: boolean) =>
      experiments.conclude(
        actor,
        { id: experiment.id, winner, promote, alias: '', reason: draft.reason },
        basis,
      );
    switch (draft.action) {
      case DecisionAction.ROLLBACK:
        return (await conclude(controlOf(experiment).name, false)).decision;
      case DecisionAction.PROMOTE:
        return (await conclude(draft.variant, options.canMoveAlias)).decision;
      case DecisionAction.NO_DIFFERENCE:
        return (await conclude('', false)).decision;
      case DecisionAction.STEP:
        if (draft.weights === undefined) {
          return experiments.recordDecision(actor, experiment, { ...draft, applied: false });
        }
        return (
          await experiments.applyWeights(
            actor,
            experiment.id,
            experiment.version,
            draft.weights,
            draft,
          )
        ).decision;
      default:
        return undefined;
    }
  };

  const evaluate = async (experiment: Experiment, at: Date) => {
    const results = await options.results.results(experiment);
    const draft = options.evaluate(experiment, results, at);
    if (draft.action === DecisionAction.CONTINUE || draft.action === DecisionAction.UNSPECIFIED)
      return;
    if (!(experiment.policy?.autoApply ?? false)) {
      if (await alreadyRecommended(experiment, draft)) return;
      await experiments.recordDecision(actor, experiment, { ...draft, applied: false });
      logger.info(
        { experiment: experiment.id, action: actionName(draft.action) },
        'decision recommended',
      );
      return;
    }
    const decision = await apply(experiment, draft);
    logger.info(
      {
        experiment: experiment.id,
        action: actionName(draft.action),
        variant: draft.variant,
        decision: decision?.id,
        table_version: String(decision?.routingTableVersion ?? 0n),
      },
      'decision applied',
    );
  };

  const tick = async () => {
    const at = now();
    let evaluated = 0;
    for (const experiment of await experiments.stored.all()) {
      if (experiment.state !== ExperimentState.RUNNING) continue;
      try {
        if (!(await claim(experiment, at))) continue;
        evaluated += 1;
        await evaluate(experiment, at);
      } catch (error) {
        // The next interval tries again; one experiment's failure does not stop the others.
        logger.warn(
          {
            experiment: experiment.id,
            error: error instanceof Error ? error.message : String(error),
          },
          'decision evaluation failed',
        );
      }
    }
    return evaluated;
  };

  return {
    tick() {
      running ??= tick().finally(() => (running = undefined));
      return running;
    },
    start() {
      timer ??= setInterval(() => void this.tick(), options.tickMs);
      timer.unref();
    },
    async stop() {
      if (timer !== undefined) clearInterval(timer);
      timer = undefined;
      await running;
    },
  };
}
