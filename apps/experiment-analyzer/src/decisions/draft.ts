import type { experimentsV1 } from '@verdict/proto';

/** What the policy decided, before the control side applies and records it. */
export interface DecisionDraft {
  action: experimentsV1.DecisionAction;
  /** One sentence with the numbers behind it. */
  reason: string;
  numbers: Record<string, number>;
  /** Variant acted on; empty when none. */
  variant: string;
  /** New relative weights for a canary step or bandit re-balance, by variant name. */
  weights?: Record<string, number>;
}

/** A draft with only the finite numbers (a decision's numbers must be finite). */
export function draft(
  action: experimentsV1.DecisionAction,
  reason: string,
  numbers: Record<string, number>,
  variant = '',
  weights?: Record<string, number>,
): DecisionDraft {
  const finite = Object.fromEntries(Object.entries(numbers).filter(([, v]) => Number.isFinite(v)));
  return weights === undefined
    ? { action, reason, numbers: finite, variant }
    : { action, reason, numbers: finite, variant, weights };
}
