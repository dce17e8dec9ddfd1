import { InvalidArgumentError } from '@verdict/errors';
import type { inference } from '@verdict/proto';

/** The reserved request parameters this server honours. */
export interface RequestParameters {
  /** Microseconds the request may wait and run; 0: the model's default. */
  readonly timeoutMicroseconds: number;
  /** Priority level; 0: the model's default level. */
  readonly priority: number;
}

/**
 * Reads `timeout` (int64 microseconds) and `priority` (uint64, int64 accepted) from a request's
 * parameters; other parameters pass through unread, as Triton does.
 */
export function readRequestParameters(
  parameters: Record<string, inference.InferParameter>,
  priorityLevels: number,
): RequestParameters {
  return {
    timeoutMicroseconds: integer(parameters.timeout, 'timeout', Number.MAX_SAFE_INTEGER),
    priority: integer(
      parameters.priority,
      'priority',
      Math.max(priorityLevels, 0),
      priorityLevels === 0,
    ),
  };
}

function integer(
  parameter: inference.InferParameter | undefined,
  name: string,
  max: number,
  ignoreRange = false,
): number {
  if (parameter === undefined) return 0;
  const choice = parameter.parameterChoice;
  if (choice.case !== 'int64Param' && choice.case !== 'uint64Param') {
    throw new InvalidArgumentError({
      field: `parameters.${name}`,
      expected: 'int64_param or uint64_param',
      received: choice.case ?? 'no value',
    });
  }
  const value = choice.value;
  // A model without priority levels has one queue, so any priority is the same as none (Triton).
  if (ignoreRange) return 0;
  if (value < 0n || value > BigInt(max)) {
    throw new InvalidArgumentError({
      field: `parameters.${name}`,
      expected: `0..${max}`,
      received: String(value),
    });
  }
  return Number(value);
}
