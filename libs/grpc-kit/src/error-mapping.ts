import { randomUUID } from 'node:crypto';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { Code, isVerdictError } from '@verdict/errors';
import type { KitLogger } from './logger';

/** What the caller receives for an error: a status code and a message a person can act on. */
export interface MappedStatus {
  code: number;
  details: string;
}

/** The status code an error will be sent with; used by metrics and tracing as well. */
export function statusCodeOf(error: unknown): number {
  if (isVerdictError(error)) return error.code;
  if (isStatusError(error)) return error.code;
  return Code.INTERNAL;
}

/**
 * Maps any error thrown by a handler or interceptor to the status sent to the caller. Typed
 * domain errors keep their code and message. Anything else becomes INTERNAL with a correlation
 * id; the detail goes to the log only, never to the caller.
 */
export function mapError(error: unknown, method: string, logger: KitLogger): MappedStatus {
  if (isVerdictError(error)) return { code: error.code, details: error.message };
  if (isStatusError(error)) return { code: error.code, details: error.details ?? error.message };
  const correlationId = randomUUID();
  logger.error(
    { err: error, method, correlation_id: correlationId },
    'unexpected error in handler',
  );
  return {
    code: status.INTERNAL,
    details: `internal error in ${method}; correlation id ${correlationId} (details in the server log)`,
  };
}

/** A ServiceError for grpc-js callbacks and stream 'error' events. */
export function toServiceError(mapped: MappedStatus, trailers: Metadata): ServiceError {
  return Object.assign(new Error(mapped.details), {
    code: mapped.code,
    details: mapped.details,
    metadata: trailers,
  });
}

/** An error that already carries a gRPC status, e.g. from a downstream call that a handler rethrows. */
function isStatusError(error: unknown): error is Error & { code: number; details?: string } {
  return (
    error instanceof Error &&
    typeof (error as { code?: unknown }).code === 'number' &&
    'details' in error &&
    'metadata' in error
  );
}
