import type { NumericArray } from '../tensors/datatypes';
import type { HostTensor } from '../tensors/host-tensor';

/**
 * Stacks the same-named inputs of several requests along the batch dimension, in request order,
 * into fresh buffers the batch owns (so they can be moved to a worker).
 */
export function concatRows(requests: readonly (readonly HostTensor[])[]): HostTensor[] {
  return requests[0].map((first) => {
    const parts = requests.map((inputs) => inputs.find((tensor) => tensor.name === first.name)!);
    const rows = parts.reduce((sum, tensor) => sum + tensor.shape[0], 0);
    const shape = [rows, ...first.shape.slice(1)];
    if (Array.isArray(first.data)) {
      return { ...first, shape, data: parts.flatMap((tensor) => tensor.data as readonly string[]) };
    }
    const head = first.data as NumericArray;
    const total = parts.reduce((sum, tensor) => sum + (tensor.data as NumericArray).length, 0);
    const data = new (head.constructor as new (length: number) => NumericArray)(total);
    let offset = 0;
    for (const tensor of parts) {
      (data as Float32Array).set(tensor.data as Float32Array, offset);
      offset += (tensor.data as NumericArray).length;
    }
    return { ...first, shape, data };
  });
}
