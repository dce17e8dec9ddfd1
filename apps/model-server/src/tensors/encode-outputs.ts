import type { MessageInitShape } from '@bufbuild/protobuf';
import type { inference } from '@verdict/proto';
import type { NumericArray } from './datatypes';
import { elementCount, type HostTensor } from './host-tensor';

/** The part of a ModelInferResponse that carries tensors. */
export type EncodedOutputs = Pick<
  MessageInitShape<typeof inference.ModelInferResponseSchema>,
  'outputs' | 'rawOutputContents'
>;

/**
 * Rows `[start, start + rows)` of a batched tensor (every row when `rows` is undefined), sharing
 * the tensor's memory for numeric data.
 */
export function sliceRows(tensor: HostTensor, start: number, rows: number | undefined): HostTensor {
  if (rows === undefined) return tensor;
  const rowElements = elementCount(tensor.shape.slice(1));
  const from = start * rowElements;
  const to = from + rows * rowElements;
  const data = Array.isArray(tensor.data)
    ? (tensor.data as readonly string[]).slice(from, to)
    : (tensor.data as NumericArray).subarray(from, to);
  return { ...tensor, shape: [rows, ...tensor.shape.slice(1)], data };
}

/** Output tensors in the response form tritonclient reads: metadata plus raw_output_contents. */
export function encodeOutputs(tensors: readonly HostTensor[]): EncodedOutputs {
  return {
    outputs: tensors.map((tensor) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape.map((dim) => BigInt(dim)),
    })),
    rawOutputContents: tensors.map((tensor) => rawBytes(tensor.data)),
  };
}

/** Little-endian element bytes; BYTES elements each behind a 4-byte little-endian length. */
export function rawBytes(data: HostTensor['data']): Uint8Array {
  if (!Array.isArray(data)) {
    const numeric = data as NumericArray;
    return new Uint8Array(numeric.buffer, numeric.byteOffset, numeric.byteLength);
  }
  const encoded = (data as readonly string[]).map((element) => Buffer.from(element, 'utf8'));
  const out = Buffer.allocUnsafe(encoded.reduce((sum, element) => sum + 4 + element.length, 0));
  let offset = 0;
  for (const element of encoded) {
    out.writeUInt32LE(element.length, offset);
    element.copy(out, offset + 4);
    offset += 4 + element.length;
  }
  return out;
}
