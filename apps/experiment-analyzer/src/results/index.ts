export { createResultsReader } from './results-reader';
export type { ResultsReader, ResultsReaderOptions, ResultsRange } from './results-reader';
export {
  computeResults,
  DEFAULT_ALPHA,
  DEFAULT_METHOD,
  DEFAULT_SRM_ALPHA,
} from './compute-results';
export { reportedMetrics, normalise } from './metric-specs';
