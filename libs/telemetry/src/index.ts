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

// Re-exported so that apps and tests never import the SDK or prom-client packages directly.
export { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace';
export type { ReadableSpan, SpanExporter, TracerProvider } from '@opentelemetry/sdk-trace';
export type { Logger } from 'pino';
export type { Tracer, Span, Context } from '@opentelemetry/api';
