/** One service of the platform as the dev stack runs it. */
export interface StackService {
  /** Service name; also its SPIFFE service account and its certificate's file name. */
  name: string;
  /** The workspace package whose `main` starts it. */
  packageName: string;
  /** Default gRPC port on 127.0.0.1. */
  grpcPort: number;
  /** Default HTTP port for /healthz, /readyz and /metrics. */
  opsPort: number;
}

/** The five services, in start order, with the ports README.md documents. */
export const STACK_SERVICES: readonly StackService[] = [
  { name: 'audit', packageName: '@verdict/audit', grpcPort: 50055, opsPort: 9105 },
  { name: 'registry', packageName: '@verdict/registry', grpcPort: 50053, opsPort: 9103 },
  { name: 'model-server', packageName: '@verdict/model-server', grpcPort: 50052, opsPort: 9102 },
  {
    name: 'experiment-analyzer',
    packageName: '@verdict/experiment-analyzer',
    grpcPort: 50054,
    opsPort: 9104,
  },
  { name: 'router', packageName: '@verdict/router', grpcPort: 50051, opsPort: 9101 },
];
