import {
  context,
  propagation,
  type Context,
  type TextMapGetter,
  type TextMapSetter,
} from '@opentelemetry/api';

/**
 * Header-like carrier read by {@link extractTraceContext}: gRPC metadata and HTTP headers
 * both map a lower-case key to one value or several.
 */
export type TraceCarrier = Readonly<Record<string, string | readonly string[] | undefined>>;

const setter: TextMapSetter<Record<string, string>> = {
  set(carrier, key, value) {
    carrier[key] = value;
  },
};

const getter: TextMapGetter<TraceCarrier> = {
  keys: (carrier) => Object.keys(carrier),
  get(carrier, key) {
    const value = carrier[key];
    return typeof value === 'string' ? value : value?.[0];
  },
};

/**
 * Writes the active (or given) context into `carrier` with the global propagator, so
 * `traceparent` (and `tracestate` / `baggage` when present) can travel in gRPC metadata
 * without this library knowing about grpc-js. Returns the same carrier.
 */
export function injectTraceContext(
  carrier: Record<string, string>,
  from: Context = context.active(),
): Record<string, string> {
  propagation.inject(from, carrier, setter);
  return carrier;
}

/**
 * Reads `traceparent` and friends from `carrier` with the global propagator and returns a
 * context whose remote span becomes the parent of spans started in it
 * (`context.with(extracted, ...)`). Without trace headers it returns `base` unchanged.
 */
export function extractTraceContext(
  carrier: TraceCarrier,
  base: Context = context.active(),
): Context {
  return propagation.extract(base, carrier, getter);
}
