import { evaluatePolicy } from '../decisions';
import { createIngest } from '../ingest';
import { createResultsReader } from '../results';
import type { StatsModules } from '../service';

/** The analyzer's statistics half (src/ingest, src/results, src/decisions), as the service wires it. */
export const STATS_MODULES: StatsModules = {
  createIngest: (deps) => createIngest(deps),
  createResultsReader: (store, options) => createResultsReader(store, options),
  evaluatePolicy,
};
