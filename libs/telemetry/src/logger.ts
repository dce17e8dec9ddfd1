import { isSpanContextValid, trace } from '@opentelemetry/api';
import pino, { type DestinationStream, type Logger } from 'pino';

/** Pino's level names, most to least severe; `silent` turns logging off. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** The level names {@link createLogger} accepts, for config schemas and CLI flags. */
export const LOG_LEVELS: readonly LogLevel[] = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
];

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** Written as `service` on every line. */
  service: string;
  /**
   * Lines below this level are dropped.
   * @default 'info'
   */
  level?: LogLevel;
  /**
   * Where JSON lines go: a writable stream, or a file descriptor written synchronously so
   * that nothing is lost when the process exits right after logging.
   * @default 1 (stdout)
   */
  destination?: NodeJS.WritableStream | number;
}

const DEFAULTS = { level: 'info', destination: 1 } as const;

/** Nesting below which bigint values are still converted; deeper objects are left as-is. */
const MAX_BIGINT_SCAN_DEPTH = 8;

/**
 * Creates a JSON logger whose every line carries `service`, and `trace_id` / `span_id` of
 * the span active when the line is written. Bigint values anywhere in the logged object
 * (proto int64 fields) are written as decimal strings, so logging a message never throws
 * and never loses precision; `err` is written with its type, message and stack.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? DEFAULTS.level;
  const target = options.destination ?? DEFAULTS.destination;
  const destination: DestinationStream =
    typeof target === 'number' ? pino.destination({ dest: target, sync: true }) : target;

  const logger = pino(
    {
      level,
      base: { service: options.service },
      serializers: { err: pino.stdSerializers.err },
      mixin: activeSpanFields,
      formatters: {
        log: (object) => withoutBigInts(object, 0) as Record<string, unknown>,
      },
    },
    destination,
  );
  // Pino bypasses `formatters.bindings` for children, so their bindings are converted here;
  // children are created with Object.create(parent) and so inherit this `child` as well.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, withoutBigInts(bindings, 0) as typeof bindings, childOptions);
  } as Logger['child'];
  return logger;
}

function activeSpanFields(): Record<string, string> {
  const span = trace.getActiveSpan();
  if (!span) {
    return {};
  }
  const spanContext = span.spanContext();
  if (!isSpanContextValid(spanContext)) {
    return {};
  }
  return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
}

// Copies only along paths that contain a bigint; other objects (errors, buffers, class
// instances) are passed through untouched so pino's own serialisation still applies.
function withoutBigInts(value: unknown, depth: number): unknown {
  if (typeof value === 'bigint') {
    return value.toString();
  }
  if (depth >= MAX_BIGINT_SCAN_DEPTH || value === null || typeof value !== 'object') {
    return value;
  }
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    value.forEach((item, index) => {
      const converted = withoutBigInts(item, depth + 1);
      if (converted !== item) {
        copy ??= [...value];
        copy[index] = converted;
      }
    });
    return copy ?? value;
  }
  if (!isPlainObject(value)) {
    return value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const [key, item] of Object.entries(value)) {
    const converted = withoutBigInts(item, depth + 1);
    if (converted !== item) {
      copy ??= { ...value };
      copy[key] = converted;
    }
  }
  return copy ?? value;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}
