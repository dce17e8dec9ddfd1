export { createIngest } from './ingest';
export type { Ingest, IngestDeps, IngestStats } from './ingest';
export type { IngestOptions } from './options';
export { INGEST_DEFAULTS } from './options';
export { experimentInfo } from './experiment-info';
export type { ExperimentInfo } from './experiment-info';
