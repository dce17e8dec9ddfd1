import type { DenseLayer, DenseNetwork } from './dense-network';
import { heUniformLayer } from './mlp';
import { createRandom, shuffleInPlace } from './random';
import type { SparseFeatures } from './spam-featurizer';

// Hot loops read these module-level aliases: under Jest's vm sandbox each global lookup
// (`Math`, `Float64Array`) costs an interceptor call (docs/decisions.md#measured-costs-behind-code-choices).
const { exp, max, sqrt } = Math;
const F64 = Float64Array;

/** One training example: a sparse feature row and its class. */
export interface LabelledFeatures {
  readonly features: SparseFeatures;
  readonly label: number;
}

/** Architecture and optimiser settings of {@link trainDenseClassifier}. */
export interface ClassifierTrainingOptions {
  /** Width of the feature rows. */
  inputSize: number;
  /** Number of classes (the width of the softmax). */
  classes: number;
  /** Hidden layer widths; `[]` is multinomial logistic regression. */
  hiddenSizes: readonly number[];
  /** Seed of the initial weights and of the per-epoch shuffles. */
  seed: number;
  /** Passes over the training set. */
  epochs: number;
  /** Adam step size. */
  learningRate: number;
  /** Examples per Adam step. */
  batchSize: number;
  /** L2 penalty on the weights (not the biases), added to the gradient. */
  l2: number;
}

const ADAM_BETA1 = 0.9;
const ADAM_BETA2 = 0.999;
const ADAM_EPSILON = 1e-8;

/** Float64 parameters with Adam's two moment estimates. */
interface TrainableLayer {
  readonly inputSize: number;
  readonly outputSize: number;
  readonly weights: Float64Array;
  readonly bias: Float64Array;
  readonly weightGrad: Float64Array;
  readonly biasGrad: Float64Array;
  readonly moments: { w1: Float64Array; w2: Float64Array; b1: Float64Array; b2: Float64Array };
}

function trainable(layer: DenseLayer): TrainableLayer {
  const w = layer.weights.length;
  const b = layer.bias.length;
  return {
    inputSize: layer.inputSize,
    outputSize: layer.outputSize,
    weights: F64.from(layer.weights),
    bias: F64.from(layer.bias),
    weightGrad: new F64(w),
    biasGrad: new F64(b),
    moments: {
      w1: new F64(w),
      w2: new F64(w),
      b1: new F64(b),
      b2: new F64(b),
    },
  };
}

/**
 * Trains a softmax classifier (ReLU hidden layers) with minibatch Adam on softmax cross-entropy,
 * deterministically from `seed`. The first layer is sparse-aware: only the weight rows of
 * buckets present in a minibatch get gradients and Adam updates (lazy Adam), which makes a
 * 4096-wide bag-of-words affordable in plain TypeScript. Returns float32 weights, the
 * precision the ONNX export carries.
 */
export function trainDenseClassifier(
  examples: readonly LabelledFeatures[],
  options: ClassifierTrainingOptions,
): DenseNetwork {
  const random = createRandom(options.seed);
  const sizes = [options.inputSize, ...options.hiddenSizes, options.classes];
  const layers: TrainableLayer[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(trainable(heUniformLayer(sizes[i], sizes[i + 1], random)));
  }
  const order = examples.map((_, i) => i);
  let step = 0;
  for (let epoch = 0; epoch < options.epochs; epoch++) {
    shuffleInPlace(order, random);
    for (let start = 0; start < order.length; start += options.batchSize) {
      const batch = order.slice(start, start + options.batchSize).map((i) => examples[i]);
      const touched = accumulateGradients(layers, batch);
      step++;
      adamStep(layers, touched, step, batch.length, options);
    }
  }
  return {
    layers: layers.map((layer) => ({
      inputSize: layer.inputSize,
      outputSize: layer.outputSize,
      weights: Float32Array.from(layer.weights),
      bias: Float32Array.from(layer.bias),
    })),
  };
}

/** Sums the batch's gradients into each layer; returns the first layer's touched input rows. */
function accumulateGradients(layers: TrainableLayer[], batch: LabelledFeatures[]): Set<number> {
  const touched = new Set<number>();
  for (const example of batch) {
    // Forward pass, keeping every layer's activations for the backward pass.
    const first = layers[0];
    const activations: Float64Array[] = [];
    let current: Float64Array = F64.from(first.bias);
    example.features.indices.forEach((row, i) => {
      touched.add(row);
      const value = example.features.values[i];
      const offset = row * first.outputSize;
      for (let j = 0; j < first.outputSize; j++) current[j] += value * first.weights[offset + j];
    });
    for (let l = 1; l < layers.length; l++) {
      for (let j = 0; j < current.length; j++) current[j] = max(0, current[j]);
      activations.push(current);
      current = denseForward(layers[l], current);
    }
    const probabilities = softmax(current);
    // Backward pass: softmax cross-entropy's gradient with respect to the logits is p - y.
    let delta: Float64Array = probabilities;
    delta[example.label] -= 1;
    for (let l = layers.length - 1; l >= 1; l--) {
      const layer = layers[l];
      const input = activations[l - 1];
      const previousDelta = new F64(layer.inputSize);
      for (let k = 0; k < layer.inputSize; k++) {
        if (input[k] === 0) continue;
        const offset = k * layer.outputSize;
        let sum = 0;
        for (let j = 0; j < layer.outputSize; j++) {
          layer.weightGrad[offset + j] += input[k] * delta[j];
          sum += layer.weights[offset + j] * delta[j];
        }
        previousDelta[k] = sum;
      }
      for (let j = 0; j < layer.outputSize; j++) layer.biasGrad[j] += delta[j];
      delta = previousDelta;
    }
    example.features.indices.forEach((row, i) => {
      const value = example.features.values[i];
      const offset = row * first.outputSize;
      for (let j = 0; j < first.outputSize; j++) first.weightGrad[offset + j] += value * delta[j];
    });
    for (let j = 0; j < first.outputSize; j++) first.biasGrad[j] += delta[j];
  }
  return touched;
}

function denseForward(layer: TrainableLayer, input: Float64Array): Float64Array {
  const output = F64.from(layer.bias);
  for (let k = 0; k < layer.inputSize; k++) {
    if (input[k] === 0) continue;
    const offset = k * layer.outputSize;
    for (let j = 0; j < layer.outputSize; j++) output[j] += input[k] * layer.weights[offset + j];
  }
  return output;
}

function softmax(logits: Float64Array): Float64Array {
  const largest = max(...logits);
  const exps = logits.map((value) => exp(value - largest));
  const sum = exps.reduce((a, b) => a + b, 0);
  return exps.map((value) => value / sum);
}

function adamStep(
  layers: TrainableLayer[],
  firstLayerRows: Set<number>,
  step: number,
  batchSize: number,
  options: ClassifierTrainingOptions,
): void {
  const correction1 = 1 - ADAM_BETA1 ** step;
  const correction2 = 1 - ADAM_BETA2 ** step;
  const update = (
    params: Float64Array,
    grads: Float64Array,
    m: Float64Array,
    v: Float64Array,
    index: number,
    l2: number,
  ): void => {
    const g = grads[index] / batchSize + l2 * params[index];
    grads[index] = 0;
    m[index] = ADAM_BETA1 * m[index] + (1 - ADAM_BETA1) * g;
    v[index] = ADAM_BETA2 * v[index] + (1 - ADAM_BETA2) * g * g;
    params[index] -=
      (options.learningRate * (m[index] / correction1)) /
      (sqrt(v[index] / correction2) + ADAM_EPSILON);
  };
  layers.forEach((layer, l) => {
    const { w1, w2, b1, b2 } = layer.moments;
    if (l === 0) {
      for (const row of firstLayerRows) {
        const offset = row * layer.outputSize;
        for (let j = 0; j < layer.outputSize; j++) {
          update(layer.weights, layer.weightGrad, w1, w2, offset + j, options.l2);
        }
      }
    } else {
      for (let i = 0; i < layer.weights.length; i++) {
        update(layer.weights, layer.weightGrad, w1, w2, i, options.l2);
      }
    }
    for (let j = 0; j < layer.bias.length; j++) update(layer.bias, layer.biasGrad, b1, b2, j, 0);
  });
}
