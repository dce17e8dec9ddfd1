export {
  createResultsReader,
  computeResults,
  DEFAULT_ALPHA,
  DEFAULT_METHOD,
  DEFAULT_SRM_ALPHA,
} from './results-reader';
export type { ResultsReader, ResultsReaderOptions, ResultsRange } from './results-reader';
export { reportedMetrics, normalise } from './metric-specs';
