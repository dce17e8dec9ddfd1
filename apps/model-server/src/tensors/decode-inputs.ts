import { InvalidArgumentError } from '@verdict/errors';
import type { inference } from '@verdict/proto';
import {
  datatypeInfo,
  type ContentsField,
  type DatatypeInfo,
  type NumericArray,
} from './datatypes';
import { elementCount, type HostTensor, type ModelSignature, type TensorSpec } from './host-tensor';

/** Limits a request's tensors are checked against. */
export interface DecodeLimits {
  /** Rows one request may carry; 0 means the model does not batch (no batch dimension). */
  readonly maxBatchSize: number;
  /** Bytes one decoded input may occupy (guards allocations before any data is read). */
  readonly maxTensorBytes: number;
}

/** A request's inputs, checked against the model and ready to run. */
export interface DecodedRequest {
  readonly inputs: HostTensor[];
  /** Rows along the batch dimension; 1 for a model that does not batch. */
  readonly rows: number;
  /** The outputs to return, in the order the caller asked (all of the model's when it asked none). */
  readonly outputs: readonly string[];
}

const CONTENTS_FIELDS: readonly ContentsField[] = [
  'boolContents',
  'intContents',
  'int64Contents',
  'uintContents',
  'uint64Contents',
  'fp32Contents',
  'fp64Contents',
  'bytesContents',
];

const SNAKE: Record<ContentsField, string> = {
  boolContents: 'bool_contents',
  intContents: 'int_contents',
  int64Contents: 'int64_contents',
  uintContents: 'uint_contents',
  uint64Contents: 'uint64_contents',
  fp32Contents: 'fp32_contents',
  fp64Contents: 'fp64_contents',
  bytesContents: 'bytes_contents',
};

const BYTES_LENGTH_PREFIX = 4;
const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Checks a ModelInferRequest's tensors against the model's signature and decodes them, from
 * typed `contents` or from `raw_input_contents` (never both). Every refusal is an
 * InvalidArgumentError naming the input, what the model expects and what arrived.
 */
export function decodeInputs(
  request: inference.ModelInferRequest,
  signature: ModelSignature,
  limits: DecodeLimits,
): DecodedRequest {
  const raw = request.rawInputContents;
  if (raw.length > 0) {
    const typed = request.inputs.find((input) => hasTypedContents(input.contents));
    if (typed !== undefined) {
      throw new InvalidArgumentError({
        field: `inputs[${typed.name}].contents`,
        expected: 'no typed contents when raw_input_contents is used',
        received: 'both raw_input_contents and typed contents in one request',
      });
    }
    if (raw.length !== request.inputs.length) {
      throw new InvalidArgumentError({
        field: 'raw_input_contents',
        expected: `one entry per input (${request.inputs.length})`,
        received: `${raw.length} entries`,
      });
    }
  }
  const specs = new Map(signature.inputs.map((spec) => [spec.name, spec]));
  const seen = new Set<string>();
  let rows: number | undefined;
  const inputs: HostTensor[] = [];
  request.inputs.forEach((input, index) => {
    const spec = specs.get(input.name);
    if (spec === undefined) {
      throw new InvalidArgumentError({
        field: `inputs[${index}].name`,
        expected: `one of the model's inputs (${[...specs.keys()].join(', ')})`,
        received: JSON.stringify(input.name),
      });
    }
    if (seen.has(input.name)) {
      throw new InvalidArgumentError({
        field: `inputs[${input.name}]`,
        expected: 'each input once',
        received: 'the input twice',
      });
    }
    seen.add(input.name);
    const datatype = checkDatatype(input, spec);
    const shape = checkShape(input, spec, limits.maxBatchSize);
    if (limits.maxBatchSize > 0) {
      if (rows !== undefined && shape[0] !== rows) {
        throw new InvalidArgumentError({
          field: `inputs[${input.name}].shape[0]`,
          expected: `the same batch size as the other inputs (${rows})`,
          received: String(shape[0]),
        });
      }
      rows = shape[0];
    }
    const count = elementCount(shape);
    if (datatype.byteSize > 0 && count * datatype.byteSize > limits.maxTensorBytes) {
      throw new InvalidArgumentError({
        field: `inputs[${input.name}].shape`,
        expected: `at most ${limits.maxTensorBytes} bytes of data`,
        received: `[${shape.join(',')}] (${count * datatype.byteSize} bytes)`,
      });
    }
    const data =
      raw.length > 0
        ? decodeRaw(input.name, raw[index], datatype, count)
        : decodeTyped(input.name, input.contents, datatype, count);
    inputs.push({ name: input.name, datatype: datatype.datatype, shape, data });
  });
  const missing = signature.inputs.filter((spec) => !seen.has(spec.name));
  if (missing.length > 0) {
    throw new InvalidArgumentError({
      field: `inputs[${missing[0].name}]`,
      expected: `every model input (${signature.inputs.map((spec) => spec.name).join(', ')})`,
      received: `no input named ${JSON.stringify(missing[0].name)}`,
    });
  }
  return { inputs, rows: rows ?? 1, outputs: requestedOutputs(request, signature) };
}

function hasTypedContents(contents: inference.InferTensorContents | undefined): boolean {
  return contents !== undefined && CONTENTS_FIELDS.some((field) => contents[field].length > 0);
}

function checkDatatype(
  input: inference.ModelInferRequest_InferInputTensor,
  spec: TensorSpec,
): DatatypeInfo {
  if (input.datatype !== spec.datatype) {
    throw new InvalidArgumentError({
      field: `inputs[${input.name}].datatype`,
      expected: spec.datatype,
      received: JSON.stringify(input.datatype),
    });
  }
  // The spec's datatype comes from the model, so it is always one this server carries.
  return datatypeInfo(spec.datatype)!;
}

function checkShape(
  input: inference.ModelInferRequest_InferInputTensor,
  spec: TensorSpec,
  maxBatchSize: number,
): number[] {
  const field = `inputs[${input.name}].shape`;
  const expected = `[${spec.shape.join(',')}]`;
  const received = `[${input.shape.join(',')}]`;
  if (input.shape.length !== spec.shape.length) {
    throw new InvalidArgumentError({
      field,
      expected: `rank ${spec.shape.length} ${expected}`,
      received: `rank ${input.shape.length} ${received}`,
    });
  }
  return input.shape.map((dim, axis) => {
    // Zero-sized and absurdly large dimensions never reach ONNX Runtime.
    if (dim < 1n || dim > 0x7fffffffn) {
      throw new InvalidArgumentError({
        field: `${field}[${axis}]`,
        expected: 'a dimension of at least 1',
        received: String(dim),
      });
    }
    const size = Number(dim);
    if (axis === 0 && maxBatchSize > 0 && size > maxBatchSize) {
      throw new InvalidArgumentError({
        field: `${field}[0]`,
        expected: `a batch size of at most ${maxBatchSize} (the model's max_batch_size)`,
        received: String(size),
      });
    }
    if (spec.shape[axis] !== -1 && spec.shape[axis] !== size) {
      throw new InvalidArgumentError({
        field: `${field}[${axis}]`,
        expected: `${spec.shape[axis]} (shape ${expected})`,
        received: `${size} (shape ${received})`,
      });
    }
    return size;
  });
}

function decodeRaw(
  name: string,
  bytes: Uint8Array,
  datatype: DatatypeInfo,
  count: number,
): HostTensor['data'] {
  const field = `raw_input_contents[${name}]`;
  if (datatype.array === undefined) return decodeRawBytes(field, bytes, count);
  const expected = count * datatype.byteSize;
  if (bytes.byteLength !== expected) {
    throw new InvalidArgumentError({
      field,
      expected: `${expected} bytes (${count} ${datatype.datatype} elements)`,
      received: `${bytes.byteLength} bytes`,
    });
  }
  // A fresh, aligned buffer that this tensor owns, so it can be transferred to a worker.
  const data = new datatype.array(count);
  new Uint8Array(data.buffer).set(bytes);
  return data;
}

function decodeRawBytes(field: string, bytes: Uint8Array, count: number): string[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const elements: string[] = [];
  let offset = 0;
  while (offset < bytes.byteLength) {
    if (offset + BYTES_LENGTH_PREFIX > bytes.byteLength) {
      throw new InvalidArgumentError({
        field,
        expected: 'a 4-byte little-endian length before each element',
        received: `${bytes.byteLength - offset} trailing bytes at offset ${offset}`,
      });
    }
    const length = view.getUint32(offset, true);
    offset += BYTES_LENGTH_PREFIX;
    if (offset + length > bytes.byteLength) {
      throw new InvalidArgumentError({
        field,
        expected: `${length} bytes for element ${elements.length}`,
        received: `${bytes.byteLength - offset} bytes left`,
      });
    }
    elements.push(utf8String(field, bytes.subarray(offset, offset + length), elements.length));
    offset += length;
  }
  if (elements.length !== count) {
    throw new InvalidArgumentError({
      field,
      expected: `${count} length-prefixed elements`,
      received: `${elements.length}`,
    });
  }
  return elements;
}

function utf8String(field: string, bytes: Uint8Array, index: number): string {
  try {
    return utf8.decode(bytes);
  } catch {
    // ONNX Runtime's string tensors hold text; bytes that are not UTF-8 would be altered silently.
    throw new InvalidArgumentError({
      field: `${field}[${index}]`,
      expected: 'UTF-8 text',
      received: 'bytes that are not valid UTF-8',
    });
  }
}

function decodeTyped(
  name: string,
  contents: inference.InferTensorContents | undefined,
  datatype: DatatypeInfo,
  count: number,
): HostTensor['data'] {
  const field = `inputs[${name}].contents`;
  if (datatype.contents === undefined) {
    throw new InvalidArgumentError({
      field,
      expected: `raw_input_contents (${datatype.datatype} has no typed form)`,
      received: 'typed contents or none',
    });
  }
  const wanted = datatype.contents;
  const other =
    contents === undefined
      ? undefined
      : CONTENTS_FIELDS.find((f) => f !== wanted && contents[f].length > 0);
  if (other !== undefined) {
    throw new InvalidArgumentError({
      field: `${field}.${SNAKE[other]}`,
      expected: `${SNAKE[wanted]} for ${datatype.datatype}`,
      received: `${contents![other].length} elements in ${SNAKE[other]}`,
    });
  }
  const values = contents?.[wanted] ?? [];
  if (values.length !== count) {
    throw new InvalidArgumentError({
      field: `${field}.${SNAKE[wanted]}`,
      expected: `${count} elements (the product of the shape)`,
      received: `${values.length}`,
    });
  }
  if (datatype.datatype === 'BYTES') {
    return (values as Uint8Array[]).map((element, index) =>
      utf8String(`${field}.bytes_contents`, element, index),
    );
  }
  const data = new datatype.array!(count);
  if (datatype.datatype === 'BOOL') {
    (values as boolean[]).forEach((value, index) => (data[index] = value ? 1 : 0));
    return data;
  }
  if (datatype.range !== undefined) {
    const [low, high] = datatype.range;
    const bad = (values as number[]).findIndex((value) => value < low || value > high);
    if (bad >= 0) {
      throw new InvalidArgumentError({
        field: `${field}.${SNAKE[wanted]}[${bad}]`,
        expected: `a ${datatype.datatype} value in ${low}..${high}`,
        received: String(values[bad]),
      });
    }
  }
  (data as NumericArray & { set(values: ArrayLike<number | bigint>): void }).set(
    values as ArrayLike<number | bigint>,
  );
  return data;
}

function requestedOutputs(
  request: inference.ModelInferRequest,
  signature: ModelSignature,
): string[] {
  if (request.outputs.length === 0) return signature.outputs.map((spec) => spec.name);
  const names = new Set(signature.outputs.map((spec) => spec.name));
  const seen = new Set<string>();
  return request.outputs.map((output, index) => {
    if (!names.has(output.name)) {
      throw new InvalidArgumentError({
        field: `outputs[${index}].name`,
        expected: `one of the model's outputs (${[...names].join(', ')})`,
        received: JSON.stringify(output.name),
      });
    }
    if (seen.has(output.name)) {
      throw new InvalidArgumentError({
        field: `outputs[${output.name}]`,
        expected: 'each output once',
        received: 'the output twice',
      });
    }
    seen.add(output.name);
    return output.name;
  });
}
