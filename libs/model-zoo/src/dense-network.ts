import { InvalidArgumentError } from '@verdict/errors';

// Hot loops read these module-level aliases: under Jest's vm sandbox each global lookup
// (`Math`, `Float64Array`) costs an interceptor call (docs/decisions.md#measured-costs-behind-code-choices).
const { exp, max } = Math;
const F64 = Float64Array;

/**
 * A fully connected layer: `output = input x weights + bias`.
 * `weights` is row-major `[inputSize, outputSize]`, the layout ONNX `Gemm` reads with `transB = 0`.
 */
export interface DenseLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
}

/**
 * A stack of dense layers with ReLU between them and softmax after the last one: the one
 * architecture the zoo exports (a logistic regression is the one-layer case).
 */
export interface DenseNetwork {
  readonly layers: readonly DenseLayer[];
}

/**
 * Runs `network` on a row-major `[batch, inputSize]` input in plain TypeScript (float64
 * arithmetic on the float32 weights) and returns the `[batch, outputSize]` probabilities.
 * This is the reference the ONNX export is checked against.
 */
export function predictDenseNetwork(
  network: DenseNetwork,
  input: Float32Array | Float64Array,
  batch: number,
): Float64Array {
  let activations: Float32Array | Float64Array = input;
  network.layers.forEach((layer, index) => {
    const logits = applyDenseLayer(layer, activations, batch);
    if (index < network.layers.length - 1) {
      for (let i = 0; i < logits.length; i++) logits[i] = max(0, logits[i]);
    } else {
      softmaxRowsInPlace(logits, batch, layer.outputSize);
    }
    activations = logits;
  });
  return activations as Float64Array;
}

/** `input x weights + bias` for a `[batch, inputSize]` input, without activation. */
export function applyDenseLayer(
  layer: DenseLayer,
  input: Float32Array | Float64Array,
  batch: number,
): Float64Array {
  const { inputSize, outputSize, weights, bias } = layer;
  const output = new F64(batch * outputSize);
  for (let row = 0; row < batch; row++) {
    const out = row * outputSize;
    for (let j = 0; j < outputSize; j++) output[out + j] = bias[j];
    for (let k = 0; k < inputSize; k++) {
      const value = input[row * inputSize + k];
      // Hashed bag-of-words rows are mostly zeros; skipping them makes training affordable.
      if (value === 0) continue;
      const w = k * outputSize;
      for (let j = 0; j < outputSize; j++) output[out + j] += value * weights[w + j];
    }
  }
  return output;
}

/** Numerically stable softmax over each row of a `[batch, width]` matrix, in place. */
export function softmaxRowsInPlace(values: Float64Array, batch: number, width: number): void {
  for (let row = 0; row < batch; row++) {
    const start = row * width;
    let largest = -Infinity;
    for (let j = 0; j < width; j++) largest = max(largest, values[start + j]);
    let sum = 0;
    for (let j = 0; j < width; j++) {
      values[start + j] = exp(values[start + j] - largest);
      sum += values[start + j];
    }
    for (let j = 0; j < width; j++) values[start + j] /= sum;
  }
}

/** Checks that consecutive layers fit together and every array has the size it claims. */
export function assertDenseNetworkShape(network: DenseNetwork): void {
  if (network.layers.length === 0) {
    throw new InvalidArgumentError({
      field: 'layers',
      expected: 'at least one layer',
      received: 'none',
    });
  }
  network.layers.forEach((layer, index) => {
    if (layer.weights.length !== layer.inputSize * layer.outputSize) {
      throw new InvalidArgumentError({
        field: `layers[${index}].weights`,
        expected: `${layer.inputSize}x${layer.outputSize} values`,
        received: `${layer.weights.length}`,
      });
    }
    if (layer.bias.length !== layer.outputSize) {
      throw new InvalidArgumentError({
        field: `layers[${index}].bias`,
        expected: `${layer.outputSize} values`,
        received: `${layer.bias.length}`,
      });
    }
    const previous = network.layers[index - 1];
    if (previous !== undefined && previous.outputSize !== layer.inputSize) {
      throw new InvalidArgumentError({
        field: `layers[${index}].inputSize`,
        expected: `${previous.outputSize} (the outputs of layer ${index - 1})`,
        received: `${layer.inputSize}`,
      });
    }
  });
}
