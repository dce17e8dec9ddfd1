import { STACK_SERVICES } from '../services';

/** A service of the platform as the CLI addresses it. */
export type ServiceName = 'router' | 'model-server' | 'registry' | 'experiment-analyzer' | 'audit';

/** `experiment-analyzer` -> `VERDICT_EXPERIMENT_ANALYZER_ADDRESS`: where a command finds that service. */
export function addressVariable(service: ServiceName, port: 'grpc' | 'ops' = 'grpc'): string {
  const stem = service.toUpperCase().replace(/-/g, '_');
  return `VERDICT_${stem}_${port === 'grpc' ? '' : 'OPS_'}ADDRESS`;
}

/** The dev stack's address of a service (README's port table): what a command uses when nothing says otherwise. */
export function defaultAddress(service: ServiceName, port: 'grpc' | 'ops' = 'grpc'): string {
  const entry = STACK_SERVICES.find((candidate) => candidate.name === service)!;
  return `127.0.0.1:${port === 'grpc' ? entry.grpcPort : entry.opsPort}`;
}
