import { runServiceProcess } from '@verdict/grpc-kit';
import { INFERENCE_PERMISSIONS } from '@verdict/security';
import { readConfig } from './config';
import { setupRouter } from './service';

// The public inference entry: splits live traffic between model variants by the routing table
// (from the experiment analyzer or a watched file) and forwards it to the model servers.
runServiceProcess({
  name: 'router',
  readConfig,
  permissions: INFERENCE_PERMISSIONS,
  setup: setupRouter,
});
