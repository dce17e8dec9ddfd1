import { runServiceProcess, unimplementedService } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';

// Experiments, routing tables, statistics and decisions. Until its issue lands, the APIs answer UNIMPLEMENTED.
runServiceProcess({
  name: 'experiment-analyzer',
  readConfig,
  permissions: EXPERIMENTS_PERMISSIONS,
  async setup({ server }) {
    server.add(
      experimentsV1.ExperimentService,
      unimplementedService(experimentsV1.ExperimentService),
    );
    server.add(experimentsV1.RoutingService, unimplementedService(experimentsV1.RoutingService));
    server.add(experimentsV1.IngestService, unimplementedService(experimentsV1.IngestService));
  },
});
