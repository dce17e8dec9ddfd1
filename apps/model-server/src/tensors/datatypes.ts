/**
 * The Open Inference Protocol datatypes this server carries, and how each one maps to
 * onnxruntime-node's tensor types, typed arrays and InferTensorContents fields.
 */
import type { OipDatatype } from '@verdict/model-zoo';

/**
 * An OIP datatype name that ONNX Runtime's JavaScript binding can feed and fetch: every one an
 * ONNX file can declare except BF16, which onnxruntime-node cannot carry (such models are
 * refused at load).
 */
export type Datatype = Exclude<OipDatatype, 'BF16'>;

/** The InferTensorContents field that holds a datatype's typed elements. */
export type ContentsField =
  | 'boolContents'
  | 'intContents'
  | 'int64Contents'
  | 'uintContents'
  | 'uint64Contents'
  | 'fp32Contents'
  | 'fp64Contents'
  | 'bytesContents';

/** Element storage of a numeric tensor as it crosses to the worker and into ORT. */
export type NumericArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | BigUint64Array
  | BigInt64Array
  | Float32Array
  | Float64Array;

type TypedArrayConstructor = {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): NumericArray;
  new (length: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** Everything the codec needs to know about one datatype. */
export interface DatatypeInfo {
  readonly datatype: Datatype;
  /** onnxruntime-common's tensor type name. */
  readonly ortType: string;
  /** Bytes per element on the wire; 0 for BYTES (length-prefixed, variable). */
  readonly byteSize: number;
  /** The typed array ORT expects; undefined for BYTES (ORT takes a string array). */
  readonly array: TypedArrayConstructor | undefined;
  /** Where typed elements travel; undefined for FP16, which travels only raw. */
  readonly contents: ContentsField | undefined;
  /** Inclusive range a typed integer element must fall in (for int_contents/uint_contents). */
  readonly range?: readonly [number, number];
}

const info = (
  datatype: Datatype,
  ortType: string,
  array: TypedArrayConstructor | undefined,
  contents: ContentsField | undefined,
  range?: readonly [number, number],
): DatatypeInfo => ({
  datatype,
  ortType,
  byteSize: array?.BYTES_PER_ELEMENT ?? 0,
  array,
  contents,
  range,
});

const DATATYPES: ReadonlyMap<string, DatatypeInfo> = new Map(
  [
    info('BOOL', 'bool', Uint8Array, 'boolContents'),
    info('UINT8', 'uint8', Uint8Array, 'uintContents', [0, 0xff]),
    info('UINT16', 'uint16', Uint16Array, 'uintContents', [0, 0xffff]),
    info('UINT32', 'uint32', Uint32Array, 'uintContents', [0, 0xffffffff]),
    info('UINT64', 'uint64', BigUint64Array, 'uint64Contents'),
    info('INT8', 'int8', Int8Array, 'intContents', [-0x80, 0x7f]),
    info('INT16', 'int16', Int16Array, 'intContents', [-0x8000, 0x7fff]),
    info('INT32', 'int32', Int32Array, 'intContents', [-0x80000000, 0x7fffffff]),
    info('INT64', 'int64', BigInt64Array, 'int64Contents'),
    // Node 20 has no Float16Array: ORT's JavaScript binding stores float16 bits in a Uint16Array.
    info('FP16', 'float16', Uint16Array, undefined),
    info('FP32', 'float32', Float32Array, 'fp32Contents'),
    info('FP64', 'float64', Float64Array, 'fp64Contents'),
    info('BYTES', 'string', undefined, 'bytesContents'),
  ].map((entry) => [entry.datatype, entry]),
);

const BY_ORT_TYPE: ReadonlyMap<string, DatatypeInfo> = new Map(
  [...DATATYPES.values()].map((entry) => [entry.ortType, entry]),
);

/** Every datatype this server serves, in protocol order. */
export const SUPPORTED_DATATYPES: readonly Datatype[] = [...DATATYPES.keys()] as Datatype[];

/** The description of an OIP datatype name, or undefined when it is not one this server carries. */
export function datatypeInfo(name: string): DatatypeInfo | undefined {
  return DATATYPES.get(name);
}

/** The description of an onnxruntime-common tensor type, or undefined for one OIP cannot carry. */
export function datatypeOfOrtType(ortType: string): DatatypeInfo | undefined {
  return BY_ORT_TYPE.get(ortType);
}
