import { Code } from '@verdict/errors';
import type { CallOptions } from '@verdict/grpc-kit';
import { UnavailableError } from '@verdict/errors';
import type { Endpoint } from './endpoint';
import type { Pool } from './pool';

/** The unary GRPCInferenceService methods the router forwards. */
export type ForwardedMethod = 'modelInfer' | 'modelMetadata' | 'modelReady' | 'modelConfig';

/** The gRPC status code of an error (INTERNAL when it carries none). */
export function codeOf(error: unknown): number {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === 'number' ? code : Code.INTERNAL;
}

/**
 * Sends `request` to the pool's least-loaded endpoint. A call that fails UNAVAILABLE (the
 * endpoint is down, the connection broke, or it was never sent) ejects that endpoint and is
 * sent once more to another one; any other failure is the answer.
 */
export async function forwardUnary(
  pool: Pool,
  method: ForwardedMethod,
  request: Buffer,
  options: CallOptions,
): Promise<Buffer> {
  const first = pool.pick(undefined, true);
  if (first === undefined) {
    throw new UnavailableError(`pool '${pool.name}' has no endpoints`);
  }
  try {
    return await callEndpoint(first, method, request, options);
  } catch (error) {
    if (codeOf(error) !== Code.UNAVAILABLE || options.signal?.aborted) throw error;
    const second = pool.pick(first, true);
    if (second === undefined) throw error;
    pool.onRetry?.(pool.name);
    return callEndpoint(second, method, request, options);
  }
}

async function callEndpoint(
  endpoint: Endpoint,
  method: ForwardedMethod,
  request: Buffer,
  options: CallOptions,
): Promise<Buffer> {
  endpoint.outstanding++;
  try {
    const response = await endpoint.client[method](request, options);
    endpoint.succeeded();
    return response;
  } catch (error) {
    if (codeOf(error) === Code.UNAVAILABLE) endpoint.eject();
    throw error;
  } finally {
    endpoint.outstanding--;
  }
}
