import { runServiceProcess } from '@verdict/grpc-kit';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupAnalyzer } from './service/analyzer-service';
import { STATS_MODULES } from './service/stats-modules';

// Experiments, routing tables, statistics and decisions: wiring only, see service/analyzer-service.ts.
runServiceProcess({
  name: 'experiment-analyzer',
  readConfig,
  permissions: EXPERIMENTS_PERMISSIONS,
  setup: (context) => setupAnalyzer(context, { stats: STATS_MODULES }),
});
