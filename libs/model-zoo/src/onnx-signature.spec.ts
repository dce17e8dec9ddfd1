import { InvalidArgumentError } from '@verdict/errors';
import { onnx } from 'onnx-proto';
import { readOnnxSignature } from './onnx-signature';

function model(graph: onnx.IGraphProto, metadata: Record<string, string> = {}): Uint8Array {
  return onnx.ModelProto.encode(
    onnx.ModelProto.create({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      graph,
      metadataProps: Object.entries(metadata).map(([key, value]) => ({ key, value })),
    }),
  ).finish();
}

function valueInfo(
  name: string,
  elemType: number,
  dims: onnx.TensorShapeProto.IDimension[],
): onnx.IValueInfoProto {
  return { name, type: { tensorType: { elemType, shape: { dim: dims } } } };
}

const { DataType } = onnx.TensorProto;

describe('readOnnxSignature', () => {
  it('maps ONNX element types to OIP datatypes and dynamic dimensions to -1', () => {
    const bytes = model(
      {
        name: 'g',
        input: [
          valueInfo('ids', DataType.INT64, [{ dimParam: 'batch' }, { dimValue: 0 }, {}]),
          valueInfo('text', DataType.STRING, [{ dimValue: 3 }]),
          valueInfo('mask', DataType.BOOL, [{ dimValue: 2 }, { dimValue: 5 }]),
          valueInfo('half', DataType.FLOAT16, []),
        ],
        output: [
          valueInfo('scores', DataType.DOUBLE, [{ dimParam: 'n' }]),
          valueInfo('codes', DataType.UINT8, [{ dimValue: 4 }]),
          valueInfo('brain', DataType.BFLOAT16, [{ dimValue: 1 }]),
        ],
      },
      { author: 'test', 'training.epochs': '3' },
    );
    expect(readOnnxSignature(bytes)).toEqual({
      inputs: [
        { name: 'ids', datatype: 'INT64', shape: [-1, 0, -1] },
        { name: 'text', datatype: 'BYTES', shape: [3] },
        { name: 'mask', datatype: 'BOOL', shape: [2, 5] },
        { name: 'half', datatype: 'FP16', shape: [] },
      ],
      outputs: [
        { name: 'scores', datatype: 'FP64', shape: [-1] },
        { name: 'codes', datatype: 'UINT8', shape: [4] },
        { name: 'brain', datatype: 'BF16', shape: [1] },
      ],
      metadata: { author: 'test', 'training.epochs': '3' },
    });
  });

  it('leaves out initializers that older exporters also list as graph inputs', () => {
    const bytes = model({
      name: 'g',
      input: [
        valueInfo('x', DataType.FLOAT, [{ dimValue: 2 }]),
        valueInfo('w', DataType.FLOAT, [{ dimValue: 2 }]),
      ],
      initializer: [{ name: 'w', dims: [2], dataType: DataType.FLOAT, floatData: [1, 2] }],
      output: [valueInfo('y', DataType.FLOAT, [{ dimValue: 2 }])],
    });
    expect(readOnnxSignature(bytes).inputs.map((input) => input.name)).toEqual(['x']);
  });

  it('rejects element types the Open Inference Protocol cannot carry, naming the tensor', () => {
    const bytes = model({
      name: 'g',
      input: [valueInfo('z', DataType.COMPLEX64, [{ dimValue: 1 }])],
      output: [valueInfo('y', DataType.FLOAT, [{ dimValue: 1 }])],
    });
    expect(() => readOnnxSignature(bytes)).toThrow(InvalidArgumentError);
    expect(() => readOnnxSignature(bytes)).toThrow(/input z.*COMPLEX64/);
  });

  it('rejects non-tensor inputs and bytes that are not a model', () => {
    const sequence = model({
      name: 'g',
      input: [
        {
          name: 's',
          type: { sequenceType: { elemType: { tensorType: { elemType: DataType.FLOAT } } } },
        },
      ],
      output: [valueInfo('y', DataType.FLOAT, [{ dimValue: 1 }])],
    });
    expect(() => readOnnxSignature(sequence)).toThrow(/input s: expected a tensor/);
    expect(() => readOnnxSignature(Uint8Array.from([0xff, 0xff, 0xff]))).toThrow(
      InvalidArgumentError,
    );
    expect(() => readOnnxSignature(model({}).subarray(0, 0))).toThrow(/model.graph/);
  });
});
