import { trainDenseClassifier, type LabelledFeatures } from './classifier-training';
import { predictDenseNetwork } from './dense-network';

/** XOR of two sparse indicator features: not linearly separable, easy for one hidden layer. */
function xorExamples(): LabelledFeatures[] {
  const examples: LabelledFeatures[] = [];
  for (let repeat = 0; repeat < 50; repeat++) {
    for (const [a, b] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ]) {
      // Bucket 2 is always on so every example has a non-zero row, like real text.
      const indices = [...(a ? [0] : []), ...(b ? [1] : []), 2];
      examples.push({
        features: {
          indices: Uint32Array.from(indices),
          values: new Float32Array(indices.length).fill(1),
        },
        label: a ^ b,
      });
    }
  }
  return examples;
}

function accuracy(
  examples: LabelledFeatures[],
  network: ReturnType<typeof trainDenseClassifier>,
): number {
  const dense = new Float32Array(examples.length * 3);
  examples.forEach((example, i) =>
    example.features.indices.forEach(
      (bucket, k) => (dense[i * 3 + bucket] = example.features.values[k]),
    ),
  );
  const probabilities = predictDenseNetwork(network, dense, examples.length);
  return (
    examples.filter(
      (example, i) => (probabilities[i * 2 + 1] > probabilities[i * 2] ? 1 : 0) === example.label,
    ).length / examples.length
  );
}

describe('trainDenseClassifier', () => {
  const base = {
    inputSize: 3,
    classes: 2,
    seed: 3,
    epochs: 60,
    learningRate: 0.05,
    batchSize: 8,
    l2: 0,
  };

  it('learns XOR with a hidden layer, which logistic regression cannot', () => {
    const examples = xorExamples();
    expect(accuracy(examples, trainDenseClassifier(examples, { ...base, hiddenSizes: [8] }))).toBe(
      1,
    );
    expect(
      accuracy(examples, trainDenseClassifier(examples, { ...base, hiddenSizes: [] })),
    ).toBeLessThanOrEqual(0.75);
  });

  it('gives the same weights for the same seed and different ones for another', () => {
    const examples = xorExamples();
    const options = { ...base, epochs: 3, hiddenSizes: [4] };
    const first = trainDenseClassifier(examples, options);
    const again = trainDenseClassifier(examples, options);
    const other = trainDenseClassifier(examples, { ...options, seed: 4 });
    expect(Array.from(again.layers[0].weights)).toEqual(Array.from(first.layers[0].weights));
    expect(Array.from(other.layers[0].weights)).not.toEqual(Array.from(first.layers[0].weights));
  });

  it('shrinks weights under an L2 penalty', () => {
    const examples = xorExamples();
    const size = (l2: number): number =>
      trainDenseClassifier(examples, { ...base, hiddenSizes: [], l2 }).layers[0].weights.reduce(
        (sum, w) => sum + w * w,
        0,
      );
    expect(size(0.5)).toBeLessThan(size(0));
  });
});
