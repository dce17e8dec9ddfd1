/**
 * Telemetry shared by every Verdict service: OpenTelemetry tracing with W3C propagation,
 * pino JSON logs carrying trace ids, Prometheus metrics, and the plain-HTTP ops endpoint
 * for `/metrics`, `/healthz` and `/readyz`.
 */
export { createTracing } from './tracing';
export type { Tracing, TracingOptions, OtlpBatchOptions } from './tracing';
export { injectTraceContext, extractTraceContext } from './propagation';
export type { TraceCarrier } from './propagation';
export { createLogger, LOG_LEVELS } from './logger';
export type { LoggerOptions, LogLevel } from './logger';
export { createMetricsRegistry, DROPPED_DEFAULT_METRICS } from './metrics';
export type { MetricsRegistryOptions } from './metrics';
export { createRpcMetrics, DEFAULT_RPC_DURATION_BUCKETS } from './rpc-metrics';
export type { RpcMetrics, RpcMetricsOptions } from './rpc-metrics';
export { createReadiness, STARTING_REASON } from './readiness';
export type { Readiness, ReadinessState } from './readiness';
export { startOpsServer } from './ops-server';
export type { OpsServer, OpsServerOptions, ReadinessProbe } from './ops-server';
export { parseRequestTarget, refuseConnectRequests } from './http-guards';

// Re-exported so that apps and tests never import the SDK or prom-client packages directly.
export { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
export type { ReadableSpan, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
export { Counter, Gauge, Histogram, Registry } from 'prom-client';
export type { CounterConfiguration, GaugeConfiguration, HistogramConfiguration } from 'prom-client';
export type { Logger } from 'pino';
export type { Tracer, Span, Context } from '@opentelemetry/api';
