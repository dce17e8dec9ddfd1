import { runServiceProcess } from '@verdict/grpc-kit';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { createAnalyzerService } from './service/analyzer-service';
import { STATS_MODULES } from './service/stats-modules';

// Experiments, routing tables, statistics and decisions: wiring only, see service/analyzer-service.ts.
const service = createAnalyzerService({ stats: STATS_MODULES });
runServiceProcess({
  name: 'experiment-analyzer',
  readConfig,
  permissions: EXPERIMENTS_PERMISSIONS,
  setup: service.setup,
  onDenied: service.onDenied,
});
