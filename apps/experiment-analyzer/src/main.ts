import { runServiceProcess } from '@verdict/grpc-kit';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupAnalyzer } from './service';
import { STATS_MODULES } from './service/stats-modules';

// Experiments, routing tables, statistics and decisions: wiring in service.ts, RPCs in handlers.ts.
runServiceProcess({
  name: 'experiment-analyzer',
  readConfig,
  permissions: EXPERIMENTS_PERMISSIONS,
  setup: (context) => setupAnalyzer(context, { stats: STATS_MODULES }),
});
