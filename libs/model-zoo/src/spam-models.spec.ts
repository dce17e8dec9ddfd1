import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession, Tensor } from 'onnxruntime-node';
import { readOnnxSignature } from './onnx-signature';
import { spamHeldOutMessages } from './spam-corpus';
import { createSpamFeaturizer, spamFeaturizerOptionsFromMetadata } from './spam-featurizer';
import { buildSpamModel, type SpamModel } from './spam-models';

/** Training and reading the corpus take seconds, more on a loaded CI machine. */
const TRAINING_TIMEOUT_MS = 60_000;

/** Held-out accuracy below this means training broke; the defaults' accuracy is in README.md. */
const ACCURACY_FLOOR = 0.85;

describe('spam models', () => {
  let cacheDir: string;
  const models: SpamModel[] = [];

  beforeAll(() => {
    cacheDir = mkdtempSync(join(tmpdir(), 'model-zoo-spam-'));
    models.push(buildSpamModel(1, { cacheDir }), buildSpamModel(2, { cacheDir }));
  }, TRAINING_TIMEOUT_MS);

  afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

  it('declare features FP32 [batch, 4096] -> probabilities FP32 [batch, 2] and record their training', () => {
    for (const model of models) {
      const signature = readOnnxSignature(model.bytes);
      expect(signature.inputs).toEqual([{ name: 'features', datatype: 'FP32', shape: [-1, 4096] }]);
      expect(signature.outputs).toEqual([
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ]);
      expect(signature.metadata).toEqual(model.metadata);
      expect(signature.metadata).toMatchObject({
        model: 'spam',
        version: String(model.version),
        labels: 'ham,spam',
        heldout_count: '1209',
        train_count: '4837',
        featurizer: 'hashed-bow-v1',
      });
      expect(Number(signature.metadata.heldout_accuracy)).toBe(model.heldOutAccuracy);
    }
    expect(models[0].metadata.architecture).toBe('logistic-regression');
    expect(models[1].metadata.architecture).toBe('mlp-32');
  });

  it(
    'score the held-out messages in onnxruntime with the accuracy their metadata records',
    async () => {
      const messages = spamHeldOutMessages();
      for (const model of models) {
        const featurizer = createSpamFeaturizer(spamFeaturizerOptionsFromMetadata(model.metadata));
        const features = featurizer.featurizeBatch(messages.map((message) => message.text));
        const session = await InferenceSession.create(model.bytes);
        const output = await session.run({
          features: new Tensor('float32', features, [messages.length, featurizer.options.buckets]),
        });
        await session.release();
        const probabilities = output.probabilities.data as Float32Array;
        expect(output.probabilities.dims).toEqual([messages.length, 2]);
        let correct = 0;
        messages.forEach((message, i) => {
          const [ham, spam] = [probabilities[i * 2], probabilities[i * 2 + 1]];
          expect(Math.abs(ham + spam - 1)).toBeLessThan(1e-5);
          if ((spam > ham ? 1 : 0) === message.label) correct++;
        });
        expect(correct).toBe(Number(model.metadata.heldout_correct));
        expect(correct / messages.length).toBe(Number(model.metadata.heldout_accuracy));
        expect(model.heldOutAccuracy).toBeGreaterThan(ACCURACY_FLOOR);
      }
    },
    TRAINING_TIMEOUT_MS,
  );

  it('read a model with the same settings back from the cache, byte for byte', () => {
    for (const model of models) {
      expect(model.fromCache).toBe(false);
      const again = buildSpamModel(model.version, { cacheDir });
      expect(again.fromCache).toBe(true);
      expect(again.cachePath).toBe(model.cachePath);
      expect(Buffer.from(again.bytes).equals(Buffer.from(model.bytes))).toBe(true);
      expect(again.heldOutAccuracy).toBe(model.heldOutAccuracy);
    }
  });

  it(
    'key the cache on the training settings',
    () => {
      const changed = buildSpamModel(1, { cacheDir, training: { epochs: 1 } });
      expect(changed.fromCache).toBe(false);
      expect(changed.cachePath).not.toBe(models[0].cachePath);
      expect(JSON.parse(changed.metadata.training)).toMatchObject({ epochs: 1 });
    },
    TRAINING_TIMEOUT_MS,
  );
});
