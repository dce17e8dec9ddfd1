import { InvalidArgumentError } from '@verdict/errors';
import type { DenseLayer, DenseNetwork } from './dense-network';
import { encodeDenseNetwork } from './onnx-encoder';
import { createRandom, type Random } from './random';

/** Small random biases, so that the exported Gemm's bias input is exercised, not all zeros. */
const BIAS_LIMIT = 0.1;

/** Shape and seed of a synthetic MLP. */
export interface MlpOptions {
  /** Width of the `input` tensor: `FP32 [batch, inputSize]`. */
  inputSize: number;
  /** Width of each hidden layer, in order; `[]` gives a single Gemm + Softmax. */
  hiddenSizes: readonly number[];
  /** Width of the `probabilities` output. */
  outputSize: number;
  /** Seed of the weight initialisation; the same seed gives the same bytes. */
  seed: number;
  /**
   * ONNX opset of the exported model.
   * @default 17
   */
  opset?: number;
}

/**
 * The weights of the synthetic MLP described by `options`: He-uniform weights
 * (`U(-sqrt(6/fanIn), sqrt(6/fanIn))`, which keeps ReLU activations from vanishing or
 * exploding through the layers) and small uniform biases, all from one seeded generator.
 * {@link buildMlp} exports exactly these; feed them to `predictDenseNetwork` for the expected output.
 */
export function createMlpWeights(options: MlpOptions): DenseNetwork {
  const sizes = [options.inputSize, ...options.hiddenSizes, options.outputSize];
  sizes.forEach((size, index) => {
    if (!Number.isInteger(size) || size < 1) {
      throw new InvalidArgumentError({
        field:
          index === 0
            ? 'inputSize'
            : index === sizes.length - 1
              ? 'outputSize'
              : `hiddenSizes[${index - 1}]`,
        expected: 'a positive integer',
        received: String(size),
      });
    }
  });
  if (!Number.isInteger(options.seed)) {
    throw new InvalidArgumentError({
      field: 'seed',
      expected: 'an integer',
      received: String(options.seed),
    });
  }
  const random = createRandom(options.seed);
  const layers: DenseLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(heUniformLayer(sizes[i], sizes[i + 1], random));
  }
  return { layers };
}

/**
 * A synthetic MLP as ONNX model bytes: `input FP32 [batch, inputSize]` through
 * `Gemm -> Relu` per hidden layer and `Gemm -> Softmax` to `probabilities FP32 [batch, outputSize]`,
 * with the dynamic batch dimension named `batch`. For benchmarks and transport tests.
 */
export function buildMlp(options: MlpOptions): Uint8Array {
  return encodeDenseNetwork(createMlpWeights(options), {
    opset: options.opset,
    graphName: 'mlp',
    metadata: {
      model: 'mlp',
      input_size: String(options.inputSize),
      hidden_sizes: options.hiddenSizes.join(','),
      output_size: String(options.outputSize),
      seed: String(options.seed),
    },
  });
}

/** He-uniform weights and biases in (-BIAS_LIMIT, BIAS_LIMIT) for one layer, from `random`. */
export function heUniformLayer(inputSize: number, outputSize: number, random: Random): DenseLayer {
  const limit = Math.sqrt(6 / inputSize);
  const weights = new Float32Array(inputSize * outputSize);
  for (let i = 0; i < weights.length; i++) weights[i] = random.uniform(-limit, limit);
  const bias = new Float32Array(outputSize);
  for (let i = 0; i < bias.length; i++) bias[i] = random.uniform(-BIAS_LIMIT, BIAS_LIMIT);
  return { inputSize, outputSize, weights, bias };
}
