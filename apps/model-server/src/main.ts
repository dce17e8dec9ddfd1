import { runServiceProcess, unimplementedService } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import { INFERENCE_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';

// Serves ONNX models over the Open Inference Protocol v2. Until its issue lands, the API answers UNIMPLEMENTED.
runServiceProcess({
  name: 'model-server',
  readConfig,
  permissions: INFERENCE_PERMISSIONS,
  async setup({ server }) {
    server.add(
      inference.GRPCInferenceService,
      unimplementedService(inference.GRPCInferenceService),
    );
  },
});
