/** Whether a service takes traffic, and why not when it does not. */
export interface ReadinessState {
  ready: boolean;
  /** Shown in the `/readyz` answer when not ready, e.g. `loading models` or `draining`. */
  reason?: string;
}

/**
 * A switch a service flips as it starts and stops: ready once it can serve, not ready
 * again when shutdown begins, so the load balancer stops sending calls before the drain.
 */
export interface Readiness {
  /** Sets the state; `reason` explains a not-ready state. */
  set(ready: boolean, reason?: string): void;
  /** The current state. */
  check(): ReadinessState;
}

/** Reason reported by a new {@link Readiness} until the service says otherwise. */
export const STARTING_REASON = 'starting';

/**
 * Creates a readiness switch. It starts not ready, with reason `starting`, unless `initial`
 * says otherwise.
 */
export function createReadiness(
  initial: ReadinessState = { ready: false, reason: STARTING_REASON },
): Readiness {
  let state: ReadinessState = { ...initial };
  return {
    set(ready, reason) {
      state = reason === undefined ? { ready } : { ready, reason };
    },
    check: () => ({ ...state }),
  };
}
