import {
  context as otelContext,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Tracer,
} from '@opentelemetry/api';
import { DeadlineExceededError } from '@verdict/errors';
import type { CallState } from './call-state';
import { statusCodeOf } from './error-mapping';

/**
 * A server interceptor wraps the rest of the pipeline (further interceptors, then the
 * handler). It may act before and after `next()`, and sees errors by awaiting it. For a
 * streaming call `next()` resolves when the whole stream has ended.
 */
export type ServerInterceptor = (call: CallState, next: () => Promise<void>) => Promise<void>;

/** Runs interceptors around `handler`, first interceptor outermost. */
export function runInterceptors(
  interceptors: readonly ServerInterceptor[],
  call: CallState,
  handler: () => Promise<void>,
): Promise<void> {
  const step = (index: number): Promise<void> =>
    index === interceptors.length ? handler() : interceptors[index](call, () => step(index + 1));
  return step(0);
}

/** Records RED metrics per method; the recorder decides the metric names. */
export interface RpcMetricsRecorder {
  started(method: string): void;
  finished(method: string, code: number, seconds: number): void;
}

export function metricsInterceptor(recorder: RpcMetricsRecorder): ServerInterceptor {
  return async (call, next) => {
    const start = process.hrtime.bigint();
    recorder.started(call.path);
    let code = 0;
    try {
      await next();
    } catch (error) {
      code = statusCodeOf(error);
      throw error;
    } finally {
      recorder.finished(call.path, code, Number(process.hrtime.bigint() - start) / 1e9);
    }
  };
}

/**
 * Continues the caller's trace (W3C traceparent in the request metadata) with a server span,
 * and runs the rest of the call inside it so nested client calls and logs carry it.
 */
export function tracingInterceptor(tracer: Tracer): ServerInterceptor {
  return async (call, next) => {
    const parent = propagation.extract(ROOT_CONTEXT, call.context.requestHeaders.toRecord());
    const span = tracer.startSpan(
      call.path.slice(1),
      {
        kind: SpanKind.SERVER,
        attributes: {
          'rpc.system': 'grpc',
          'rpc.service': call.method.parent.typeName,
          'rpc.method': call.method.name,
        },
      },
      parent,
    );
    try {
      await otelContext.with(trace.setSpan(parent, span), next);
      span.setAttribute('rpc.grpc.status_code', 0);
    } catch (error) {
      const code = statusCodeOf(error);
      span.setAttribute('rpc.grpc.status_code', code);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
      throw error;
    } finally {
      span.end();
    }
  };
}

/**
 * Refuses work whose deadline has already passed and aborts the handler's signal when the
 * deadline passes mid-call, so handlers can stop instead of computing an answer nobody reads.
 */
export const deadlineInterceptor: ServerInterceptor = async (call, next) => {
  const deadline = call.context.deadline;
  if (deadline === undefined) return next();
  const remaining = deadline.getTime() - Date.now();
  if (remaining <= 0) {
    throw new DeadlineExceededError(`deadline of ${call.path} passed before the call started`);
  }
  const timer = setTimeout(
    () => call.abort.abort(new DeadlineExceededError(`deadline of ${call.path} exceeded`)),
    remaining,
  );
  try {
    await next();
  } finally {
    clearTimeout(timer);
  }
};
