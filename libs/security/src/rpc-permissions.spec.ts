import { auditV1, driftV1, experimentsV1, inference, registryV1 } from '@verdict/proto';
import {
  AUDIT_PERMISSIONS,
  EXPERIMENTS_PERMISSIONS,
  INFERENCE_PERMISSIONS,
  REGISTRY_PERMISSIONS,
} from './rpc-permissions';

describe('RPC permission tables', () => {
  it.each([
    ['inference', INFERENCE_PERMISSIONS, [inference.GRPCInferenceService]],
    ['registry', REGISTRY_PERMISSIONS, [registryV1.RegistryService]],
    [
      'experiments',
      EXPERIMENTS_PERMISSIONS,
      [
        experimentsV1.ExperimentService,
        experimentsV1.RoutingService,
        experimentsV1.IngestService,
        driftV1.DriftService,
      ],
    ],
    ['audit', AUDIT_PERMISSIONS, [auditV1.AuditService]],
  ])('%s: maps exactly the methods of the generated services', (_name, permissions, services) => {
    const methods = services.flatMap((service) =>
      service.methods.map((method) => `/${service.typeName}/${method.name}`),
    );
    expect(Object.keys(permissions).sort()).toEqual(methods.sort());
  });
});
