import { InvalidArgumentError } from '@verdict/errors';

/** One tensor in the JSON form of the Open Inference Protocol's REST binding. */
export interface JsonTensor {
  name: string;
  datatype: string;
  shape: number[];
  /** Row-major elements: numbers, booleans, strings, or int64 values beyond 2^53 as strings. */
  data: (number | boolean | string)[];
}

type ArrayType = {
  new (length: number): ArrayLike<number | bigint> & {
    buffer: ArrayBufferLike;
    [index: number]: number | bigint;
  };
  new (
    buffer: ArrayBufferLike,
    byteOffset: number,
    length: number,
  ): ArrayLike<number | bigint> & { buffer: ArrayBufferLike };
  BYTES_PER_ELEMENT: number;
};

/** Little-endian element storage per numeric OIP datatype (FP16 travels as its 16-bit pattern). */
const ARRAYS: Record<string, ArrayType> = {
  BOOL: Uint8Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
  UINT64: BigUint64Array as unknown as ArrayType,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  INT64: BigInt64Array as unknown as ArrayType,
  FP16: Uint16Array,
  FP32: Float32Array,
  FP64: Float64Array,
};

/** Shape and row-major elements of nested JSON arrays. */
export function flatten(value: unknown): { shape: number[]; data: JsonTensor['data'] } {
  if (!Array.isArray(value)) return { shape: [], data: [value as number] };
  const parts = value.map(flatten);
  const inner = parts[0]?.shape ?? [];
  if (parts.some((part) => part.shape.join() !== inner.join())) {
    throw new InvalidArgumentError({
      field: '--input',
      expected: 'nested arrays of equal lengths',
      received: 'ragged arrays',
    });
  }
  return { shape: [value.length, ...inner], data: parts.flatMap((part) => part.data) };
}

/** The raw_input_contents bytes of a JSON tensor (BYTES with 4-byte little-endian lengths). */
export function encodeRaw(tensor: JsonTensor): Uint8Array {
  if (tensor.datatype === 'BYTES') {
    const elements = tensor.data.map((element) => Buffer.from(String(element), 'utf8'));
    const out = Buffer.alloc(elements.reduce((sum, element) => sum + 4 + element.length, 0));
    let offset = 0;
    for (const element of elements) {
      out.writeUInt32LE(element.length, offset);
      element.copy(out, offset + 4);
      offset += 4 + element.length;
    }
    return out;
  }
  const Array_ = ARRAYS[tensor.datatype];
  if (Array_ === undefined) {
    throw new InvalidArgumentError({
      field: `${tensor.name}.datatype`,
      expected: `one of ${[...Object.keys(ARRAYS), 'BYTES'].join(', ')}`,
      received: tensor.datatype,
    });
  }
  const big = tensor.datatype.endsWith('INT64');
  const array = new Array_(tensor.data.length);
  tensor.data.forEach((value, i) => {
    array[i] = big ? BigInt(value) : Number(value);
  });
  return new Uint8Array(array.buffer);
}

/** A JSON tensor from raw_output_contents bytes; int64 values beyond 2^53 become strings. */
export function decodeRaw(
  name: string,
  datatype: string,
  shape: number[],
  bytes: Uint8Array,
): JsonTensor {
  if (datatype === 'BYTES') {
    const data: string[] = [];
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let offset = 0; offset + 4 <= view.length;) {
      const length = view.readUInt32LE(offset);
      data.push(view.toString('utf8', offset + 4, offset + 4 + length));
      offset += 4 + length;
    }
    return { name, datatype, shape, data };
  }
  const Array_ = ARRAYS[datatype];
  // A copy at offset 0: the message bytes may be a Buffer view at any alignment.
  const copy = Uint8Array.from(bytes);
  const array = new Array_(copy.buffer, 0, copy.byteLength / Array_.BYTES_PER_ELEMENT);
  const data = Array.from(array, (value) =>
    typeof value === 'bigint'
      ? Number.isSafeInteger(Number(value))
        ? Number(value)
        : value.toString()
      : datatype === 'BOOL'
        ? value !== 0
        : value,
  );
  return { name, datatype, shape, data };
}
