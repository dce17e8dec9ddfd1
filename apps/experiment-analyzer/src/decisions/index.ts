export {
  evaluatePolicy,
  DEFAULT_CANARY_STEP,
  DEFAULT_CANARY_MAX_WEIGHT,
  DEFAULT_BANDIT_MIN_WEIGHT,
  BANDIT_DRAWS,
} from './evaluate-policy';
export type { DecisionDraft } from './evaluate-policy';
