export { startDashboard } from './server';
export type { Dashboard, DashboardOptions, DashboardTlsOptions } from './server';
export type { DashboardSource, DriftPoint, DriftSeries, ResultsRange } from './source';
export type { TimeseriesOptions } from './timeseries';
