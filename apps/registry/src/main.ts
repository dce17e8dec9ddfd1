import { runServiceProcess } from '@verdict/grpc-kit';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { createRegistryService } from './registry-service';

// Versioned, encrypted model artifacts and aliases: wiring only, see registry-service.ts.
const service = createRegistryService();
runServiceProcess({
  name: 'registry',
  readConfig,
  permissions: REGISTRY_PERMISSIONS,
  setup: service.setup,
  onDenied: service.onDenied,
});
