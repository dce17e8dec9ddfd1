export {
  ALL_COLUMNS_UP_TO,
  MAX_REFERENCE_SAMPLE,
  TOP_VARIANCE_COLUMNS,
  buildReferenceProfile,
  checkInputRow,
  checkProfile,
  featureRow,
  featureValue,
  isCategorical,
} from './reference-profile';
export type { FeatureRow, InputRow, ReferenceData } from './reference-profile';
export { DEFAULT_DRIFT_THRESHOLDS, compareWindow } from './window-comparison';
export type { DriftThresholds, FeatureDrift } from './window-comparison';
export { createDriftMonitor } from './drift-monitor';
export type { DriftAlert, DriftMonitor, DriftMonitorOptions, DriftWindow } from './drift-monitor';
export {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  alertPayload,
  createStreamTrigger,
  createWebhookTrigger,
  signWebhookBody,
  verifyWebhookSignature,
} from './retraining-trigger';
export type { RetrainingTrigger, RetryOptions } from './retraining-trigger';
