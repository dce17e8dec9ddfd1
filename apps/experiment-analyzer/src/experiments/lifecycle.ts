import { FailedPreconditionError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';

const { ExperimentState: S } = experimentsV1;
type State = experimentsV1.ExperimentState;

/** A state-changing call and the states it may start from. */
export const TRANSITIONS = {
  start: { to: S.RUNNING, from: [S.DRAFT, S.PAUSED] },
  pause: { to: S.PAUSED, from: [S.RUNNING] },
  stop: { to: S.STOPPED, from: [S.DRAFT, S.RUNNING, S.PAUSED] },
  // A stopped experiment may still be concluded, to apply a winner after the fact.
  conclude: { to: S.CONCLUDED, from: [S.RUNNING, S.PAUSED, S.STOPPED] },
  // Definitions change until the experiment has ended.
  update: { to: undefined, from: [S.DRAFT, S.RUNNING, S.PAUSED] },
} as const;

/** Names of the state-changing calls. */
export type Transition = keyof typeof TRANSITIONS;

/** The state's name without its prefix, for messages: `RUNNING`. */
export function stateName(state: State): string {
  return S[state] ?? String(state);
}

/**
 * Checks that `transition` may happen in `state`.
 * @throws FailedPreconditionError naming the experiment, its state and the states allowed
 */
export function checkTransition(transition: Transition, id: string, state: State): void {
  const allowed: readonly State[] = TRANSITIONS[transition].from;
  if (!allowed.includes(state)) {
    throw new FailedPreconditionError(
      `cannot ${transition} experiment ${id} in state ${stateName(state)} (only from ${allowed
        .map(stateName)
        .join(', ')})`,
    );
  }
}
