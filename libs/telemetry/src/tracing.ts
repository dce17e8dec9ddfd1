import {
  ProxyTracerProvider,
  context,
  propagation,
  trace,
  type Tracer,
  type TracerProvider as ApiTracerProvider,
} from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  TracerProvider,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/** Limits of the batch processor that feeds the OTLP exporter. */
export interface OtlpBatchOptions {
  /**
   * Spans held while the exporter is busy; beyond this, new spans are dropped.
   * @default 2048
   */
  maxQueueSize?: number;
  /**
   * Spans sent in one OTLP request.
   * @default 512
   */
  maxExportBatchSize?: number;
  /**
   * Delay between two exports, in milliseconds.
   * @default 5000
   */
  scheduledDelayMillis?: number;
  /**
   * How long one export may take before it is abandoned, in milliseconds.
   * @default 30000
   */
  exportTimeoutMillis?: number;
}

/** Options of {@link createTracing}. */
export interface TracingOptions {
  /** `service.name` on every span, and the name of the default tracer. */
  serviceName: string;
  /**
   * Base URL of an OTLP collector (the value apps read from `OTEL_EXPORTER_OTLP_ENDPOINT`);
   * spans are sent as http/protobuf to `<otlpEndpoint>/v1/traces` through a batch processor.
   * The OTLP exporter itself still honours the standard `OTEL_EXPORTER_OTLP_HEADERS`,
   * `..._TIMEOUT` and `..._COMPRESSION` variables; this library reads none.
   * @default undefined (no OTLP export)
   */
  otlpEndpoint?: string;
  /**
   * An exporter fed span by span as each span ends (a `SimpleSpanProcessor`), typically an
   * `InMemorySpanExporter` in tests. May be combined with `otlpEndpoint`.
   * @default undefined
   */
  exporter?: SpanExporter;
  /**
   * Install this provider as the process-wide tracer provider, together with the W3C
   * trace-context + baggage propagator and an AsyncLocalStorage context manager. Any
   * previously registered provider, propagator and context manager are unregistered first,
   * so the most recent `createTracing({ register: true })` wins.
   * @default true
   */
  register?: boolean;
  /** Batch limits for the OTLP exporter; each field has its own default. */
  batch?: OtlpBatchOptions;
}

/** A tracer provider with its exporters, as returned by {@link createTracing}. */
export interface Tracing {
  /** A tracer of this provider; `name` defaults to the service name. */
  tracer(name?: string): Tracer;
  /** The SDK provider, for code that needs more than `tracer()`. */
  readonly provider: TracerProvider;
  /**
   * Exports what is pending, stops the exporters and, if this provider is still the
   * registered one, unregisters the global provider, propagator and context manager.
   */
  shutdown(): Promise<void>;
  /** Exports every span that has ended but not yet been sent. */
  forceFlush(): Promise<void>;
}

const BATCH_DEFAULTS: Required<OtlpBatchOptions> = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 5000,
  exportTimeoutMillis: 30000,
};

type OtlpProtoExporter = typeof import('@opentelemetry/exporter-trace-otlp-proto');

/** The path OTLP/HTTP collectors accept traces on, appended to the endpoint. */
const OTLP_TRACES_PATH = '/v1/traces';

/**
 * Builds a tracer provider for one service. Tests pass an `InMemorySpanExporter`; apps pass
 * the OTLP endpoint they read from their environment. Without either, spans are still
 * created (so logs carry trace ids and context propagates) but go nowhere.
 *
 * To replace a previous instance in the same process (tests), either call its `shutdown()`
 * first or simply call `createTracing` again: registration unregisters the old globals.
 */
export function createTracing(options: TracingOptions): Tracing {
  const register = options.register ?? true;
  const processors: SpanProcessor[] = [];
  if (options.exporter) {
    processors.push(new SimpleSpanProcessor({ exporter: options.exporter }));
  }
  if (options.otlpEndpoint !== undefined) {
    // Loaded only when an endpoint is set, so that a service without one does not carry its
    // heap (docs/decisions.md#measured-costs-behind-code-choices). A
    // lazy load has to be a require here: this package is CommonJS, and jest runs it without
    // native import().
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const otlp = require('@opentelemetry/exporter-trace-otlp-proto') as OtlpProtoExporter;
    const exporter = new otlp.OTLPTraceExporter({ url: otlpTracesUrl(options.otlpEndpoint) });
    processors.push(
      new BatchSpanProcessor({ exporter, ...BATCH_DEFAULTS, ...definedOnly(options.batch ?? {}) }),
    );
  }

  const provider = new TracerProvider({
    resource: defaultResource().merge(
      resourceFromAttributes({ [ATTR_SERVICE_NAME]: options.serviceName }),
    ),
    spanProcessors: processors,
  });

  if (register) {
    registerGlobals(provider);
  }

  return {
    provider,
    tracer: (name) => provider.getTracer(name ?? options.serviceName),
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      // A later createTracing may have taken over the globals; leave those alone.
      if (register && registeredProvider() === provider) {
        unregisterGlobals();
      }
      await provider.shutdown();
    },
  };
}

function registerGlobals(provider: TracerProvider): void {
  // The API refuses a second registration while one is in place (it only logs), which
  // would silently keep the old provider alive: clear everything first.
  unregisterGlobals();
  const contextManager = new AsyncLocalStorageContextManager();
  contextManager.enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(
    new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    }),
  );
  trace.setGlobalTracerProvider(provider);
}

function unregisterGlobals(): void {
  trace.disable();
  propagation.disable();
  // Also disables the context manager itself, releasing its AsyncLocalStorage.
  context.disable();
}

function registeredProvider(): ApiTracerProvider {
  const global = trace.getTracerProvider();
  return global instanceof ProxyTracerProvider ? global.getDelegate() : global;
}

function otlpTracesUrl(endpoint: string): string {
  return endpoint.replace(/\/+$/, '') + OTLP_TRACES_PATH;
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
