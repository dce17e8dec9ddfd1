import { runServiceProcess, unimplementedService } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import { INFERENCE_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';

// The public inference entry that splits traffic between model variants. Until its issue lands, the API answers UNIMPLEMENTED.
runServiceProcess({
  name: 'router',
  readConfig,
  permissions: INFERENCE_PERMISSIONS,
  async setup({ server }) {
    server.add(
      inference.GRPCInferenceService,
      unimplementedService(inference.GRPCInferenceService),
    );
  },
});
