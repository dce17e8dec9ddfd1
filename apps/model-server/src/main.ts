import { runServiceProcess } from '@verdict/grpc-kit';
import { INFERENCE_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupModelServer } from './service';

// Serves the ONNX models of a local model repository and of the registry over the Open Inference
// Protocol v2.
runServiceProcess({
  name: 'model-server',
  readConfig,
  permissions: INFERENCE_PERMISSIONS,
  setup: setupModelServer,
});
