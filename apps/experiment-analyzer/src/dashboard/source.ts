import type { experimentsV1 } from '@verdict/proto';

/** A time range of results; an unset bound is open. */
export interface ResultsRange {
  readonly start?: Date;
  readonly end?: Date;
}

/** One feature of one evaluated drift window. */
export interface DriftPoint {
  /** When the window was evaluated. */
  readonly time: Date;
  readonly feature: string;
  /** Model version whose inputs these are; when a series has several, features are per version. */
  readonly version?: string;
  /** Population stability index of the window against the reference. */
  readonly psi: number;
  /** The drift monitor judged this feature drifted in this window. */
  readonly drifted: boolean;
}

/** Per-feature PSI of a model's live inputs over time. */
export interface DriftSeries {
  /** Points of every feature, in any order. */
  readonly points: readonly DriftPoint[];
  /** The PSI that counts as drift, drawn as a line; omitted when unknown. */
  readonly psiThreshold?: number;
}

/**
 * Where the dashboard reads everything it shows. The analyzer backs it with its experiment
 * store, the results reader over the sufficient statistics, the decision log and the drift
 * monitor; every method is read-only.
 */
export interface DashboardSource {
  /** All experiments, in the order the list page shows them (newest first is usual). */
  listExperiments(): Promise<experimentsV1.Experiment[]>;
  /** One experiment; undefined when there is none with this id. */
  experiment(id: string): Promise<experimentsV1.Experiment | undefined>;
  /** Statistics of the experiment over the range (unset: its whole life up to now). */
  results(
    experiment: experimentsV1.Experiment,
    range?: ResultsRange,
  ): Promise<experimentsV1.Results>;
  /** Decisions taken for the experiment, newest first. */
  decisions(experimentId: string): Promise<experimentsV1.Decision[]>;
  /** Input drift of a model; absent when the analyzer monitors no drift. */
  drift?(model: string): Promise<DriftSeries>;
}
