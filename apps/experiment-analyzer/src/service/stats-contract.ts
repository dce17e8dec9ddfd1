import type { experimentsV1 } from '@verdict/proto';

// The contract between the analyzer's control half (experiments, routing, decisions applied) and
// its statistics half (src/ingest, src/results, src/decisions): the control half depends only on
// these shapes, so either side can change inside without the other.

/** Event intake (the stats half's `createIngest`). */
export interface IngestPort {
  recordExposures(
    request: experimentsV1.RecordExposuresRequest,
  ): Promise<experimentsV1.RecordExposuresResponse> | experimentsV1.RecordExposuresResponse;
  recordShadowComparisons(
    request: experimentsV1.RecordShadowComparisonsRequest,
  ):
    | Promise<experimentsV1.RecordShadowComparisonsResponse>
    | experimentsV1.RecordShadowComparisonsResponse;
  recordOutcomes(
    request: experimentsV1.RecordOutcomesRequest,
  ): Promise<experimentsV1.RecordOutcomesResponse> | experimentsV1.RecordOutcomesResponse;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/** Results from the stored statistics (the stats half's `createResultsReader`). */
export interface ResultsPort {
  results(
    experiment: experimentsV1.Experiment,
    range?: { start?: Date; end?: Date },
  ): Promise<experimentsV1.Results>;
}

/** What a policy evaluation recommends (the stats half's `evaluatePolicy`). */
export interface DecisionDraft {
  action: experimentsV1.DecisionAction;
  reason: string;
  numbers: Record<string, number>;
  variant: string;
  /** New weights for a canary step or a bandit re-balance. */
  weights?: Record<string, number>;
}

/** The pure policy evaluation. */
export type EvaluatePolicy = (
  experiment: experimentsV1.Experiment,
  results: experimentsV1.Results,
  now: Date,
) => DecisionDraft;
