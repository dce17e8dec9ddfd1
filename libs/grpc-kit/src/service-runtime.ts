import type { ServiceConfig } from '@verdict/config';
import { Code } from '@verdict/errors';
import { createAuthorizer, loadPolicyFile, parsePolicy, type Policy } from '@verdict/security';
import {
  createLogger,
  createMetricsRegistry,
  createReadiness,
  createRpcMetrics,
  createTracing,
  startOpsServer,
  type Logger,
  type Readiness,
  type Registry,
} from '@verdict/telemetry';
import { createMethodAuthorizer, type DenialEvent } from './authorization';
import type { TransportOptions } from './credentials';
import { createServer, type KitServer } from './server';

/** What a service's setup step gets to work with. */
export interface ServiceContext<C extends ServiceConfig> {
  readonly config: C;
  readonly server: KitServer;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Ready once setup returns; a service may report not-ready later (e.g. models unloaded). */
  readonly readiness: Readiness;
}

export interface ServiceRuntimeOptions<C extends ServiceConfig> {
  /** Service name: logs, metrics and traces carry it. */
  name: string;
  config: C;
  /** Full method name -> permission; methods left out are refused. */
  permissions: Readonly<Record<string, string>>;
  /** Adds the service's handlers and opens what it needs; the returned `stop` runs after the server drained. */
  setup(context: ServiceContext<C>): Promise<{ stop?: () => Promise<void> } | void>;
  /** Called for each refused call; services audit denials here. */
  onDenied?: (event: DenialEvent) => void;
}

/** A started service: its bound ports, and the one way to stop it. */
export interface RunningService {
  readonly grpcPort: number;
  readonly opsPort: number;
  readonly logger: Logger;
  /** Not-ready, drain gRPC for the grace period, run the service's own stop, flush traces. */
  stop(): Promise<void>;
}

/**
 * Wires one service the way every Verdict service runs: logger, tracing, metrics, RBAC from the
 * policy file, the kit server on mutual TLS (or mesh), and the HTTP ops endpoint.
 */
export async function runService<C extends ServiceConfig>(
  options: ServiceRuntimeOptions<C>,
): Promise<RunningService> {
  const { config, name } = options;
  const logger = createLogger({ service: name, level: config.log.level });
  const tracing = createTracing({ serviceName: name, otlpEndpoint: config.otlpEndpoint });
  const metrics = createMetricsRegistry({ service: name });
  const rpcMetrics = createRpcMetrics(metrics);
  const readiness = createReadiness();
  const policy = await loadPolicy(config.policyFile);
  const server = createServer({
    name,
    host: config.grpc.host,
    port: config.grpc.port,
    transport: transportOf(config),
    maxMessageBytes: config.grpc.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logger,
    rpcMetrics: {
      started: (method) => rpcMetrics.started(method),
      finished: (method, code, seconds) =>
        rpcMetrics.finished(method, Code[code] ?? String(code), seconds),
    },
    authorize: createMethodAuthorizer({
      evaluator: createAuthorizer(policy),
      permissions: options.permissions,
    }),
    onDenied: (event) => {
      logger.warn(
        { method: event.method, principal: event.principal.id, reason: event.reason },
        'call denied',
      );
      options.onDenied?.(event);
    },
  });
  const service = (await options.setup({ config, server, logger, metrics, readiness })) ?? {};
  const grpcPort = await server.start();
  const ops = await startOpsServer({
    host: config.ops.host,
    port: config.ops.port,
    registry: metrics,
    readiness,
    logger,
  });
  readiness.set(true);
  logger.info({ grpc_port: grpcPort, ops_port: ops.port }, `${name} ready`);

  return {
    grpcPort,
    opsPort: ops.port,
    logger,
    async stop() {
      readiness.set(false, 'shutting down');
      const { forced } = await server.shutdown();
      await service.stop?.();
      await ops.close();
      await tracing.shutdown();
      logger.info({ forced }, `${name} stopped`);
    },
  };
}

function transportOf(config: ServiceConfig): TransportOptions {
  if (config.tls.mode === 'mesh') return { mode: 'mesh' };
  // The config schema requires the three files in mtls mode; this only narrows the types.
  const { caFile, certFile, keyFile } = config.tls;
  if (caFile === undefined || certFile === undefined || keyFile === undefined) {
    throw new Error('tls.caFile, tls.certFile and tls.keyFile are required in mtls mode');
  }
  return { mode: 'mtls', caFile, certFile, keyFile };
}

/** Without a policy file nothing but health and reflection is allowed: closed by default. */
function loadPolicy(file: string | undefined): Promise<Policy> | Policy {
  return file === undefined
    ? parsePolicy('roles: {}\nbindings: []\n', 'built-in deny-all policy')
    : loadPolicyFile(file);
}
