import {
  FailedPreconditionError,
  InvalidArgumentError,
  UnavailableError,
  isVerdictError,
} from '@verdict/errors';

/** The counter call being made, so that its Redis errors can be told in Store terms. */
export interface CounterCall {
  readonly key: string;
  readonly delta: number;
}

/**
 * Turns an error from ioredis into the error the Store contract promises: Redis replies that
 * mean a wrong counter state or argument become the memory store's errors; anything that is
 * not a reply from the server (connection lost, retries exhausted) becomes UnavailableError.
 * Other server replies are bugs and pass through unchanged.
 */
export function translateRedisError(
  error: unknown,
  operation: string,
  counter?: CounterCall,
): unknown {
  if (isVerdictError(error)) {
    return error;
  }
  const message = (error as Error)?.message ?? String(error);
  if ((error as Error)?.name !== 'ReplyError') {
    return new UnavailableError(`redis ${operation} failed: ${message}`, { cause: error });
  }
  if (counter !== undefined && message.includes('not an integer')) {
    return new FailedPreconditionError(
      `counter '${counter.key}' holds a fractional sum; add to it with incrementFloat`,
      { cause: error },
    );
  }
  if (counter !== undefined && message.includes('NaN or Infinity')) {
    return new InvalidArgumentError({
      field: 'delta',
      expected: 'a delta that keeps the sum finite',
      received: String(counter.delta),
    });
  }
  return error;
}
