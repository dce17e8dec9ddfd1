import type { Datatype, NumericArray } from './datatypes';

/**
 * A tensor on this side of the protocol: decoded from a request, moved to a worker, or read
 * back from ONNX Runtime. Numeric data is a typed array over its own ArrayBuffer region;
 * BYTES elements are strings, which is what ORT's JavaScript binding feeds.
 */
export interface HostTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
  readonly data: NumericArray | readonly string[];
}

/** What a model takes or gives, per tensor: shape with -1 for dynamic dimensions. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

/** A model's inputs and outputs, as the ONNX file declares them. */
export interface ModelSignature {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** Number of elements of a shape (1 for a scalar). */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}
