import { runServiceProcess, unimplementedService } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';

// Versioned, encrypted model artifacts and aliases. Until its issue lands, the API answers UNIMPLEMENTED.
runServiceProcess({
  name: 'registry',
  readConfig,
  permissions: REGISTRY_PERMISSIONS,
  async setup({ server }) {
    server.add(registryV1.RegistryService, unimplementedService(registryV1.RegistryService));
  },
});
