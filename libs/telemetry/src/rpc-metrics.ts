import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

/**
 * Default buckets of `rpc_server_duration_seconds`, in seconds: 1 ms to 30 s, dense where
 * unary model calls land (1-250 ms) and sparse where only streams and slow loads go.
 */
export const DEFAULT_RPC_DURATION_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
];

/** Options of {@link createRpcMetrics}. */
export interface RpcMetricsOptions {
  /**
   * Upper bounds of the duration histogram, in seconds.
   * @default DEFAULT_RPC_DURATION_BUCKETS
   */
  durationBuckets?: readonly number[];
}

/**
 * RED metrics of a gRPC server, fed by the kit's interceptor. `method` is the full method
 * name (`/package.Service/Method`) of a registered method only, which keeps label
 * cardinality bounded.
 */
export interface RpcMetrics {
  /** A call has arrived: counts it as in flight. */
  started(method: string): void;
  /**
   * A call has ended with the gRPC status `code` (its name, e.g. `OK`, `NOT_FOUND`) after
   * `seconds`: counts it, records its duration and removes it from the in-flight gauge.
   */
  finished(method: string, code: string, seconds: number): void;
  /** `rpc_server_requests_total{method,code}`: calls finished. */
  readonly requests: Counter<'method' | 'code'>;
  /** `rpc_server_duration_seconds{method}`: time from arrival to status. */
  readonly duration: Histogram<'method'>;
  /** `rpc_server_inflight_requests{method}`: calls started and not yet finished. */
  readonly inflight: Gauge<'method'>;
}

/**
 * Registers the RPC server metrics on `registry`. Call once per registry: prom-client
 * refuses a second metric with the same name.
 */
export function createRpcMetrics(registry: Registry, options: RpcMetricsOptions = {}): RpcMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'rpc_server_requests_total',
    help: 'gRPC calls finished, by full method name and status code.',
    labelNames: ['method', 'code'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'rpc_server_duration_seconds',
    help: 'Seconds from the arrival of a gRPC call to its status, by full method name.',
    labelNames: ['method'] as const,
    buckets: [...(options.durationBuckets ?? DEFAULT_RPC_DURATION_BUCKETS)],
    registers,
  });
  const inflight = new Gauge({
    name: 'rpc_server_inflight_requests',
    help: 'gRPC calls started and not yet finished, by full method name.',
    labelNames: ['method'] as const,
    registers,
  });

  return {
    requests,
    duration,
    inflight,
    started(method) {
      inflight.inc({ method });
    },
    finished(method, code, seconds) {
      inflight.dec({ method });
      requests.inc({ method, code });
      duration.observe({ method }, seconds);
    },
  };
}
