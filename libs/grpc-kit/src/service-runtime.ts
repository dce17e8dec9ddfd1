import { hasAuditConfig, type AuditedConfig, type AuditSink } from '@verdict/audit-client';
import type { ServiceConfig } from '@verdict/config';
import { Code } from '@verdict/errors';
import { createAuthorizer, loadServicePolicy, type Authorizer } from '@verdict/security';
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
import { createMethodAuthorizer } from './authorization';
import { transportOfConfig, type ClientTransportOptions } from './credentials';
import { createServer, type KitServer } from './server';
import { denialRecord, openServiceAudit, type ServiceAudit } from './service-audit';

/**
 * The audit sink a service gets: one when its configuration carries the audit client's settings
 * (`auditConfigSchema` under `audit`), none otherwise.
 */
export type ServiceAuditSink<C> = C extends AuditedConfig ? AuditSink : undefined;

/** What a service's setup step gets to work with. */
export interface ServiceContext<C extends ServiceConfig> {
  readonly config: C;
  readonly server: KitServer;
  readonly logger: Logger;
  readonly metrics: Registry;
  /** Ready once setup returns; a service may report not-ready later (e.g. models unloaded). */
  readonly readiness: Readiness;
  /** How this service calls others: mutual TLS with its own certificate, or plaintext to the mesh. */
  readonly clientTransport: ClientTransportOptions;
  /**
   * The RBAC policy (the policy file, or deny-all without one), for the per-resource checks a
   * service makes beyond the per-method gate the runtime already applies.
   */
  readonly authorizer: Authorizer;
  /**
   * The service's audit sink, spooled under the data directory; the runtime records every
   * refused call in it and closes it after the service's own stop.
   */
  readonly audit: ServiceAuditSink<C>;
}

export interface ServiceRuntimeOptions<C extends ServiceConfig> {
  /** Service name: logs, metrics and traces carry it. */
  name: string;
  config: C;
  /** Full method name -> permission; methods left out are refused. */
  permissions: Readonly<Record<string, string>>;
  /** Adds the service's handlers and opens what it needs; the returned `stop` runs after the server drained. */
  setup(context: ServiceContext<C>): Promise<{ stop?: () => Promise<void> } | void>;
  /**
   * The sink to record through instead of the configured audit service (tests pass an
   * in-memory one). Used only when the configuration carries audit settings.
   * @default the spooled sink to `config.audit.address`
   */
  auditSink?: AuditSink;
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
 * policy file, the audit sink with every denial recorded in it, the client transport of the
 * service's own identity, the kit server on mutual TLS (or mesh), and the HTTP ops endpoint.
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
  const authorizer = createAuthorizer(await loadServicePolicy(config.policyFile));
  const transport = transportOfConfig(config.tls);
  const audit: ServiceAudit | undefined = hasAuditConfig(config)
    ? await openServiceAudit({
        settings: config.audit,
        dataDir: config.dataDir,
        transport,
        logger,
        metrics,
        ...(options.auditSink === undefined ? {} : { sink: options.auditSink }),
      })
    : undefined;
  const server = createServer({
    name,
    host: config.grpc.host,
    port: config.grpc.port,
    transport,
    maxMessageBytes: config.grpc.maxMessageBytes,
    shutdownGraceMs: config.shutdownGraceMs,
    logger,
    rpcMetrics: {
      started: (method) => rpcMetrics.started(method),
      finished: (method, code, seconds) =>
        rpcMetrics.finished(method, Code[code] ?? String(code), seconds),
    },
    authorize: createMethodAuthorizer({ evaluator: authorizer, permissions: options.permissions }),
    onDenied: (event) => {
      logger.warn(
        { method: event.method, principal: event.principal.id, reason: event.reason },
        'call denied',
      );
      try {
        audit?.sink.record(denialRecord(event));
      } catch (error) {
        // A full spool must not turn the caller's PERMISSION_DENIED into another status.
        logger.error({ err: (error as Error).message }, 'audit sink refused a denial record');
      }
    },
  });
  let service: { stop?: () => Promise<void> };
  try {
    service =
      (await options.setup({
        config,
        server,
        logger,
        metrics,
        readiness,
        clientTransport: transport,
        authorizer,
        audit: audit?.sink as ServiceAuditSink<C>,
      })) ?? {};
  } catch (error) {
    await audit?.close();
    throw error;
  }
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
      await audit?.close();
      await ops.close();
      await tracing.shutdown();
      logger.info({ forced }, `${name} stopped`);
    },
  };
}
