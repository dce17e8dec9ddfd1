/**
 * The analyzer's parts as a {@link DashboardSource}: experiments and decisions from the
 * experiment store (no per-team check: whoever may open the dashboard sees every experiment),
 * results from the results reader, drift from the drift service.
 */
import type { experimentsV1 } from '@verdict/proto';
import type { DashboardSource, DriftSeries, ResultsRange } from './source';

/** The experiment store calls the dashboard reads (ExperimentStore from src/experiments). */
export interface ExperimentReads {
  find(id: string): Promise<experimentsV1.Experiment | undefined>;
  list(
    keep: (experiment: experimentsV1.Experiment) => boolean,
    pageSize: number,
    pageToken: string,
  ): Promise<{ experiments: experimentsV1.Experiment[]; nextPageToken: string }>;
  listDecisions(
    experimentId: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{ decisions: experimentsV1.Decision[]; nextPageToken: string }>;
}

/** A drift point as the drift service keeps it (time in ms since the epoch). */
export interface DriftServicePoint {
  readonly time: number;
  readonly version?: string;
  readonly feature: string;
  readonly psi: number;
  readonly drifted: boolean;
}

/** Options of {@link createDashboardSource}. */
export interface DashboardSourceParts {
  readonly experiments: ExperimentReads;
  readonly results: {
    results(
      experiment: experimentsV1.Experiment,
      range?: ResultsRange,
    ): Promise<experimentsV1.Results>;
  };
  /** The drift service's series, when the analyzer monitors drift. */
  readonly drift?: { series(model: string): readonly DriftServicePoint[] };
  /** The PSI that counts as drift, drawn on the drift plot. */
  readonly psiThreshold?: number;
  /** Most experiments on the list page (newest first). @default 500 */
  readonly maxExperiments?: number;
  /** Most decisions shown per experiment (newest first). @default 200 */
  readonly maxDecisions?: number;
}

export function createDashboardSource(parts: DashboardSourceParts): DashboardSource {
  const maxExperiments = parts.maxExperiments ?? 500;
  const maxDecisions = parts.maxDecisions ?? 200;
  const drift = parts.drift;
  return {
    async listExperiments() {
      const all: experimentsV1.Experiment[] = [];
      let token = '';
      do {
        const page = await parts.experiments.list(() => true, maxExperiments - all.length, token);
        all.push(...page.experiments);
        token = page.nextPageToken;
      } while (token !== '' && all.length < maxExperiments);
      return all;
    },
    experiment: (id) => parts.experiments.find(id),
    results: (experiment, range) => parts.results.results(experiment, range),
    async decisions(experimentId) {
      return (await parts.experiments.listDecisions(experimentId, maxDecisions, '')).decisions;
    },
    ...(drift === undefined
      ? {}
      : {
          drift: async (model: string): Promise<DriftSeries> => ({
            points: drift.series(model).map((point) => ({
              time: new Date(point.time),
              feature: point.feature,
              psi: point.psi,
              drifted: point.drifted,
              ...(point.version === undefined ? {} : { version: point.version }),
            })),
            ...(parts.psiThreshold === undefined ? {} : { psiThreshold: parts.psiThreshold }),
          }),
        }),
  };
}
