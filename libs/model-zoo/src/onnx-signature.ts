import { InvalidArgumentError } from '@verdict/errors';
import { onnx } from 'onnx-proto';

/**
 * Open Inference Protocol datatype names of the ONNX tensor element types OIP can carry.
 * ONNX's STRING is OIP's BYTES.
 */
export type OipDatatype =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'FP32'
  | 'FP64'
  | 'BF16'
  | 'BYTES';

/** One graph input or output as a model server describes it. */
export interface TensorSignature {
  readonly name: string;
  readonly datatype: OipDatatype;
  /** Dimensions; -1 where the model leaves a dimension dynamic (named or unnamed). */
  readonly shape: readonly number[];
}

/** What a model takes and gives, read from the ONNX file itself. */
export interface OnnxSignature {
  /** Graph inputs that the caller feeds (initializers listed as inputs are left out). */
  readonly inputs: readonly TensorSignature[];
  readonly outputs: readonly TensorSignature[];
  /** The model's `metadata_props`. */
  readonly metadata: Readonly<Record<string, string>>;
}

const DataType = onnx.TensorProto.DataType;

const OIP_DATATYPES: ReadonlyMap<number, OipDatatype> = new Map<number, OipDatatype>([
  [DataType.BOOL, 'BOOL'],
  [DataType.UINT8, 'UINT8'],
  [DataType.UINT16, 'UINT16'],
  [DataType.UINT32, 'UINT32'],
  [DataType.UINT64, 'UINT64'],
  [DataType.INT8, 'INT8'],
  [DataType.INT16, 'INT16'],
  [DataType.INT32, 'INT32'],
  [DataType.INT64, 'INT64'],
  [DataType.FLOAT16, 'FP16'],
  [DataType.FLOAT, 'FP32'],
  [DataType.DOUBLE, 'FP64'],
  [DataType.BFLOAT16, 'BF16'],
  [DataType.STRING, 'BYTES'],
]);

/**
 * Reads the inputs, outputs and metadata of an ONNX model.
 * Throws `InvalidArgumentError` for bytes that are not an ONNX model, and for a graph input or
 * output that is not a tensor of a type the Open Inference Protocol can carry.
 */
export function readOnnxSignature(bytes: Uint8Array): OnnxSignature {
  let model: onnx.ModelProto;
  try {
    model = onnx.ModelProto.decode(bytes);
  } catch (error) {
    throw new InvalidArgumentError({
      field: 'model',
      expected: 'an ONNX ModelProto',
      received: `bytes that do not decode (${(error as Error).message})`,
    });
  }
  const graph = model.graph;
  if (graph === null || graph === undefined) {
    throw new InvalidArgumentError({ field: 'model.graph', expected: 'a graph', received: 'none' });
  }
  const initializers = new Set((graph.initializer ?? []).map((tensor) => tensor.name));
  const metadata: Record<string, string> = {};
  for (const entry of model.metadataProps) metadata[entry.key ?? ''] = entry.value ?? '';
  return {
    inputs: (graph.input ?? [])
      .filter((info) => !initializers.has(info.name))
      .map((info) => tensorSignature(info, 'input')),
    outputs: (graph.output ?? []).map((info) => tensorSignature(info, 'output')),
    metadata,
  };
}

function tensorSignature(info: onnx.IValueInfoProto, role: 'input' | 'output'): TensorSignature {
  const name = info.name ?? '';
  const tensorType = info.type?.tensorType;
  if (tensorType === null || tensorType === undefined) {
    throw new InvalidArgumentError({
      field: `${role} ${name}`,
      expected: 'a tensor',
      received: 'a non-tensor type',
    });
  }
  const elemType = tensorType.elemType ?? DataType.UNDEFINED;
  const datatype = OIP_DATATYPES.get(elemType);
  if (datatype === undefined) {
    throw new InvalidArgumentError({
      field: `${role} ${name}`,
      expected: `an element type the Open Inference Protocol carries (${[...OIP_DATATYPES.values()].join(', ')})`,
      received: DataType[elemType] ?? `element type ${elemType}`,
    });
  }
  const dims = tensorType.shape?.dim ?? [];
  return { name, datatype, shape: dims.map((dim) => dimensionSize(dim)) };
}

function dimensionSize(dim: onnx.TensorShapeProto.IDimension): number {
  // protobufjs reports which member of the `value` oneof was on the wire; a dimension with
  // dim_param, or with neither member, is dynamic.
  if ((dim as onnx.TensorShapeProto.Dimension).value !== 'dimValue') return -1;
  const value = dim.dimValue ?? 0;
  return typeof value === 'number' ? value : value.toNumber();
}
