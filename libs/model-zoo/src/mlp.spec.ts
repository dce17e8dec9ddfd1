import { InvalidArgumentError } from '@verdict/errors';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { predictDenseNetwork } from './dense-network';
import { buildMlp, createMlpWeights, type MlpOptions } from './mlp';
import { readOnnxSignature } from './onnx-signature';
import { createRandom } from './random';

const options: MlpOptions = { inputSize: 64, hiddenSizes: [128, 32], outputSize: 10, seed: 7 };

async function runOnnx(
  model: Uint8Array,
  input: Float32Array,
  batch: number,
  width: number,
): Promise<Float32Array> {
  const session = await InferenceSession.create(model);
  try {
    const result = await session.run({ input: new Tensor('float32', input, [batch, width]) });
    return result.probabilities.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('buildMlp', () => {
  it('computes in onnxruntime what the plain TypeScript forward pass computes, for several batch sizes', async () => {
    const model = buildMlp(options);
    const network = createMlpWeights(options);
    const random = createRandom(99);
    for (const batch of [1, 3, 17]) {
      const input = new Float32Array(batch * options.inputSize).map(() => random.uniform(-2, 2));
      const actual = await runOnnx(model, input, batch, options.inputSize);
      const expected = predictDenseNetwork(network, input, batch);
      expect(actual).toHaveLength(batch * options.outputSize);
      actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-5));
    }
  });

  it('handles a network without hidden layers', async () => {
    const flat: MlpOptions = { inputSize: 5, hiddenSizes: [], outputSize: 3, seed: 1 };
    const input = Float32Array.from([1, -1, 0.5, 0, 2]);
    const actual = await runOnnx(buildMlp(flat), input, 1, 5);
    const expected = predictDenseNetwork(createMlpWeights(flat), input, 1);
    actual.forEach((value, i) => expect(Math.abs(value - expected[i])).toBeLessThan(1e-5));
  });

  it('is deterministic in its seed', () => {
    expect(Buffer.from(buildMlp(options)).equals(Buffer.from(buildMlp(options)))).toBe(true);
    expect(
      Buffer.from(buildMlp(options)).equals(Buffer.from(buildMlp({ ...options, seed: 8 }))),
    ).toBe(false);
  });

  it('declares a dynamic batch dimension, the named input and output, and its shape in metadata', () => {
    expect(readOnnxSignature(buildMlp(options))).toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 64] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 10] }],
      metadata: {
        model: 'mlp',
        input_size: '64',
        hidden_sizes: '128,32',
        output_size: '10',
        seed: '7',
      },
    });
  });

  it('writes the requested opset', async () => {
    const model = buildMlp({ ...options, opset: 13 });
    const session = await InferenceSession.create(model);
    expect(session.inputNames).toEqual(['input']);
    await session.release();
    expect(() => buildMlp({ ...options, opset: 11 })).toThrow(InvalidArgumentError);
  });

  it('rejects sizes that are not positive integers, naming the field', () => {
    expect(() => buildMlp({ ...options, hiddenSizes: [16, 0] })).toThrow(/hiddenSizes\[1\]/);
    expect(() => buildMlp({ ...options, inputSize: 2.5 })).toThrow(InvalidArgumentError);
  });
});
