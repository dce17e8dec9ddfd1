import { runServiceProcess } from '@verdict/grpc-kit';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupRegistry } from './service';

// Versioned, encrypted model artifacts and aliases: wiring in service.ts, RPCs in handlers.ts.
runServiceProcess({
  name: 'registry',
  readConfig,
  permissions: REGISTRY_PERMISSIONS,
  setup: setupRegistry,
});
