export { startDashboard } from './server';
export type { Dashboard, DashboardOptions, DashboardTlsOptions } from './server';
export { createDashboardSource } from './source-adapter';
export type { DashboardSourceParts, DriftServicePoint, ExperimentReads } from './source-adapter';
export type { DashboardSource, DriftPoint, DriftSeries, ResultsRange } from './source';
export type { TimeseriesOptions } from './timeseries';
