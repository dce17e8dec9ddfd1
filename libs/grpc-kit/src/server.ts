import { setTimeout as delay } from 'node:timers/promises';
import type { DescFile, DescService } from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import { Server, type ChannelOptions, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { trace, type Tracer } from '@opentelemetry/api';
import { authorizationInterceptor, type Authorize, type DenialEvent } from './authorization';
import { serverCredentials, type TransportOptions } from './credentials';
import { adaptHandler, type Pipeline } from './handler-adapter';
import { createHealthService, type HealthStatus, type HealthService } from './health';
import { authenticationInterceptor, type TokenVerifier } from './identity';
import {
  deadlineInterceptor,
  metricsInterceptor,
  tracingInterceptor,
  type RpcMetricsRecorder,
  type ServerInterceptor,
} from './interceptors';
import { silentLogger, type KitLogger } from './logger';
import { createReflectionServices } from './reflection';
import { createServiceDefinition, type WireMode } from './service-definition';
import type { RawServiceImpl, ServiceImpl } from './types';

/** 64 MiB: large enough for real tensors, small enough to bound a single call's memory. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export interface ServerOptions {
  /** Service name for logs and traces, e.g. `registry`. */
  name: string;
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  transport: TransportOptions;
  /** Per-RPC authorization; health and reflection are open to any authenticated peer. */
  authorize: Authorize;
  /** Called for each refused call (services audit denials here). */
  onDenied?: (event: DenialEvent) => void;
  /** Verifies bearer tokens of people and CI; without it, only certificates authenticate. */
  tokenVerifier?: TokenVerifier;
  /** @default a logger that drops everything */
  logger?: KitLogger;
  /** @default the global tracer provider's `@verdict/grpc-kit` tracer */
  tracer?: Tracer;
  /** RED metrics per RPC; none are recorded without it. */
  rpcMetrics?: RpcMetricsRecorder;
  /** Extra interceptors, run inside the built-in ones (after authorization). */
  interceptors?: ServerInterceptor[];
  /** Largest message received or sent, in bytes. @default 64 MiB */
  maxMessageBytes?: number;
  /** How long `shutdown()` lets in-flight calls finish before cancelling them. @default 10000 */
  shutdownGraceMs?: number;
  /** Further grpc-js options, e.g. `grpc.max_connection_age_ms` so clients rebalance. */
  channelOptions?: ChannelOptions;
  /** Serve grpc.reflection v1 and v1alpha for the added services. @default true */
  reflection?: boolean;
}

/** A gRPC server with Verdict's security, telemetry, health and shutdown behaviour. */
export interface KitServer {
  /** Serves a service with decoded protobuf-es messages. */
  add<S extends GenServiceMethods>(service: GenService<S>, impl: ServiceImpl<S>): KitServer;
  /** Serves a service whose handlers take and return encoded bytes (proxies). */
  addRaw<S extends GenServiceMethods>(service: GenService<S>, impl: RawServiceImpl<S>): KitServer;
  /** Binds and starts serving; resolves with the bound port. */
  start(): Promise<number>;
  /** The bound port (0 before start). */
  readonly port: number;
  /** grpc.health.v1 status per service name ('' is the whole server). */
  setHealth(service: string, status: HealthStatus): void;
  /**
   * Reports NOT_SERVING, stops accepting calls, lets in-flight calls finish up to the grace
   * period, then cancels what is left. Resolves with whether anything had to be cancelled.
   */
  shutdown(options?: { graceMs?: number }): Promise<{ forced: boolean }>;
}

export function createServer(options: ServerOptions): KitServer {
  const logger = options.logger ?? silentLogger;
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const grpcServer = new Server({
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...options.channelOptions,
  });
  const pipeline: Pipeline = { logger, interceptors: buildInterceptors(options) };
  const health: HealthService = createHealthService();
  const files = new Set<DescFile>();
  let port = 0;
  let started = false;

  function register(service: DescService, impl: object, mode: WireMode): void {
    if (started) throw new Error(`cannot add ${service.typeName} after the server started`);
    const handlers: UntypedServiceImplementation = {};
    for (const method of service.methods) {
      const handler = (impl as Record<string, unknown>)[method.localName];
      if (typeof handler !== 'function') {
        throw new Error(`${service.typeName}: no handler for ${method.name}`);
      }
      handlers[method.localName] = adaptHandler(method, handler.bind(impl), pipeline);
    }
    grpcServer.addService(createServiceDefinition(service, mode), handlers);
    files.add(service.file);
    health.register(service.typeName);
  }

  const server: KitServer = {
    add(service, impl) {
      register(service as unknown as DescService, impl, 'message');
      return server;
    },
    addRaw(service, impl) {
      register(service as unknown as DescService, impl, 'raw');
      return server;
    },
    get port() {
      return port;
    },
    async start() {
      register(health.service as unknown as DescService, health.impl, 'message');
      if (options.reflection !== false) {
        for (const reflection of createReflectionServices([...files])) {
          register(reflection.service as unknown as DescService, reflection.impl, 'message');
        }
      }
      started = true;
      const address = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`;
      port = await new Promise<number>((resolve, reject) =>
        grpcServer.bindAsync(address, serverCredentials(options.transport), (error, bound) =>
          error ? reject(error) : resolve(bound),
        ),
      );
      health.setAll('SERVING');
      logger.info(
        { address: `${options.host ?? '127.0.0.1'}:${port}`, transport: options.transport.mode },
        `${options.name} gRPC server listening`,
      );
      return port;
    },
    setHealth(service, status) {
      health.set(service, status);
    },
    async shutdown(shutdownOptions) {
      const graceMs =
        shutdownOptions?.graceMs ?? options.shutdownGraceMs ?? DEFAULT_SHUTDOWN_GRACE_MS;
      health.shutdown();
      const drained = new Promise<'drained'>((resolve) =>
        grpcServer.tryShutdown(() => resolve('drained')),
      );
      const timer = new AbortController();
      const outcome = await Promise.race([
        drained,
        delay(graceMs, 'timeout' as const, { signal: timer.signal }).catch(
          () => 'drained' as const,
        ),
      ]);
      timer.abort();
      if (outcome === 'timeout') {
        logger.warn(
          { grace_ms: graceMs },
          'calls still in flight after the grace period; cancelling them',
        );
        grpcServer.forceShutdown();
        return { forced: true };
      }
      return { forced: false };
    },
  };
  return server;
}

function buildInterceptors(options: ServerOptions): ServerInterceptor[] {
  const interceptors: ServerInterceptor[] = [
    tracingInterceptor(options.tracer ?? trace.getTracer('@verdict/grpc-kit')),
  ];
  if (options.rpcMetrics !== undefined) interceptors.push(metricsInterceptor(options.rpcMetrics));
  interceptors.push(
    deadlineInterceptor,
    authenticationInterceptor({
      mode: options.transport.mode,
      tokenVerifier: options.tokenVerifier,
    }),
    authorizationInterceptor(options.authorize, options.onDenied),
    ...(options.interceptors ?? []),
  );
  return interceptors;
}
