export { evaluatePolicy } from './evaluate-policy';
export type { DecisionDraft } from './draft';
export {
  DEFAULT_CANARY_STEP,
  DEFAULT_CANARY_MAX_WEIGHT,
  DEFAULT_BANDIT_MIN_WEIGHT,
  BANDIT_DRAWS,
} from './traffic-rules';
