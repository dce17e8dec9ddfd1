import { InvalidArgumentError } from '@verdict/errors';
import { onnx } from 'onnx-proto';
import { assertDenseNetworkShape, type DenseNetwork } from './dense-network';

/** How a dense network becomes an ONNX model. */
export interface EncodeDenseNetworkOptions {
  /**
   * Name of the `FP32 [batch, inputSize]` graph input.
   * @default 'input'
   */
  inputName?: string;
  /**
   * Name of the `FP32 [batch, outputSize]` softmax output.
   * @default 'probabilities'
   */
  outputName?: string;
  /**
   * Name of the dynamic batch dimension (`dim_param`); readers see it as -1.
   * @default 'batch'
   */
  batchDimension?: string;
  /**
   * ONNX opset of the default domain. Gemm, Relu and Softmax(axis=-1) need 13 or later.
   * @default 17
   */
  opset?: number;
  /**
   * Graph name, shown by tools such as Netron.
   * @default 'dense_network'
   */
  graphName?: string;
  /**
   * Key/value pairs stored in the model's `metadata_props`.
   * @default {}
   */
  metadata?: Readonly<Record<string, string>>;
}

/** IR version 8 is what onnx-proto's schema (ONNX 1.10) describes; onnxruntime reads it. */
const IR_VERSION = 8;
const MIN_OPSET = 13;
const PRODUCER_NAME = '@verdict/model-zoo';

function addDefaults(options: EncodeDenseNetworkOptions): Required<EncodeDenseNetworkOptions> {
  return {
    inputName: options.inputName ?? 'input',
    outputName: options.outputName ?? 'probabilities',
    batchDimension: options.batchDimension ?? 'batch',
    opset: options.opset ?? 17,
    graphName: options.graphName ?? 'dense_network',
    metadata: options.metadata ?? {},
  };
}

/**
 * Encodes `network` as an ONNX model: `Gemm -> Relu -> ... -> Gemm -> Softmax`, weights as
 * float32 initializers, a dynamic batch dimension, and `metadata` in `metadata_props`.
 */
export function encodeDenseNetwork(
  network: DenseNetwork,
  options: EncodeDenseNetworkOptions = {},
): Uint8Array {
  assertDenseNetworkShape(network);
  const settings = addDefaults(options);
  if (!Number.isInteger(settings.opset) || settings.opset < MIN_OPSET) {
    throw new InvalidArgumentError({
      field: 'opset',
      expected: `an integer >= ${MIN_OPSET}`,
      received: String(settings.opset),
    });
  }
  const nodes: onnx.INodeProto[] = [];
  const initializers: onnx.ITensorProto[] = [];
  let current = settings.inputName;
  network.layers.forEach((layer, index) => {
    const last = index === network.layers.length - 1;
    const weightsName = `layer${index}.weights`;
    const biasName = `layer${index}.bias`;
    initializers.push(
      float32Tensor(weightsName, [layer.inputSize, layer.outputSize], layer.weights),
      float32Tensor(biasName, [layer.outputSize], layer.bias),
    );
    const gemmOutput = `layer${index}.logits`;
    nodes.push({
      name: `layer${index}.gemm`,
      opType: 'Gemm',
      input: [current, weightsName, biasName],
      output: [gemmOutput],
    });
    const activatedName = last ? settings.outputName : `layer${index}.relu`;
    nodes.push(
      last
        ? {
            name: 'softmax',
            opType: 'Softmax',
            input: [gemmOutput],
            output: [activatedName],
            attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: -1 }],
          }
        : {
            name: `layer${index}.relu`,
            opType: 'Relu',
            input: [gemmOutput],
            output: [activatedName],
          },
    );
    current = activatedName;
  });
  const first = network.layers[0];
  const last = network.layers[network.layers.length - 1];
  const model = onnx.ModelProto.create({
    irVersion: IR_VERSION,
    opsetImport: [{ domain: '', version: settings.opset }],
    producerName: PRODUCER_NAME,
    graph: {
      name: settings.graphName,
      node: nodes,
      initializer: initializers,
      input: [float32ValueInfo(settings.inputName, settings.batchDimension, first.inputSize)],
      output: [float32ValueInfo(settings.outputName, settings.batchDimension, last.outputSize)],
    },
    metadataProps: Object.entries(settings.metadata).map(([key, value]) => ({ key, value })),
  });
  return onnx.ModelProto.encode(model).finish();
}

function float32Tensor(name: string, dims: number[], values: Float32Array): onnx.ITensorProto {
  // ONNX raw_data is little-endian whatever the host's byte order.
  const raw = new Uint8Array(values.length * 4);
  const view = new DataView(raw.buffer);
  values.forEach((value, i) => view.setFloat32(i * 4, value, true));
  return { name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: raw };
}

function float32ValueInfo(
  name: string,
  batchDimension: string,
  width: number,
): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: onnx.TensorProto.DataType.FLOAT,
        shape: { dim: [{ dimParam: batchDimension }, { dimValue: width }] },
      },
    },
  };
}
