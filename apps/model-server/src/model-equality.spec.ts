import * as ort from 'onnxruntime-node';
import {
  buildSpamModel,
  createSpamFeaturizer,
  readPpocrClassifier,
  spamFeaturizerOptionsFromMetadata,
  spamHeldOutMessages,
} from '@verdict/model-zoo';
import { startModelServerStack, type ModelServerStack } from './testing/model-server-stack';

/** PaddleOCR's classifier crops: 3 x 48 x 192. */
const CROP = [3, 48, 192] as const;
/** Rows per model: enough to see batching, few enough that PP-OCR stays fast on 2 cores. */
const SPAM_ROWS = 24;
const PPOCR_ROWS = 6;

interface Case {
  readonly model: string;
  readonly version: string;
  readonly input: string;
  readonly output: string;
  /** Row-major input rows of `rowShape` each. */
  readonly rows: Float32Array[];
  readonly rowShape: readonly number[];
  readonly direct: ort.InferenceSession;
}

const bytesOf = (data: Float32Array) =>
  new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
const floats = (bytes: Uint8Array) =>
  new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
const stack2 = (rows: readonly Float32Array[]) => {
  const out = new Float32Array(rows.reduce((sum, row) => sum + row.length, 0));
  let offset = 0;
  for (const row of rows) {
    out.set(row, offset);
    offset += row.length;
  }
  return out;
};

describe('outputs equal a direct onnxruntime session', () => {
  let stack: ModelServerStack;
  let client: ReturnType<ModelServerStack['client']>;
  const cases: Case[] = [];

  beforeAll(async () => {
    const spam = [buildSpamModel(1), buildSpamModel(2)];
    const ppocr = readPpocrClassifier();
    stack = await startModelServerStack(async (write) => {
      // Both spam versions stay loaded, so each can be asked for by number.
      const config = 'max_batch_size: 64\ndynamic_batching: {}\nversion_policy:\n  all: {}\n';
      for (const model of spam) await write('spam', model.version, model.bytes, config);
      await write('ppocr', 1, ppocr.bytes);
    });
    client = stack.client();
    // The server's session settings: graph optimisation `all`, one thread per operator.
    const options = { intraOpNumThreads: 1, interOpNumThreads: 1 };
    const messages = spamHeldOutMessages().slice(0, SPAM_ROWS);
    for (const model of spam) {
      const featurizer = createSpamFeaturizer(spamFeaturizerOptionsFromMetadata(model.metadata));
      cases.push({
        model: 'spam',
        version: String(model.version),
        input: 'features',
        output: 'probabilities',
        rows: messages.map((message) => featurizer.featurize(message.text)),
        rowShape: [featurizer.options.buckets],
        direct: await ort.InferenceSession.create(model.bytes, options),
      });
    }
    // Deterministic pixels in [-1, 1], the classifier's normalised range.
    const pixels = CROP[0] * CROP[1] * CROP[2];
    cases.push({
      model: 'ppocr',
      version: '1',
      input: 'x',
      output: 'softmax_0.tmp_0',
      rows: Array.from({ length: PPOCR_ROWS }, (_, row) =>
        Float32Array.from({ length: pixels }, (_, i) => Math.sin(row * 104729 + i * 0.37)),
      ),
      rowShape: CROP,
      direct: await ort.InferenceSession.create(ppocr.bytes, options),
    });
  }, 60_000);
  afterAll(async () => {
    client?.close();
    await Promise.all(cases.map((c) => c.direct.release()));
    await stack?.stop();
  });

  const runDirect = async (c: Case, rows: readonly Float32Array[]) => {
    const feeds = {
      [c.input]: new ort.Tensor('float32', stack2(rows), [rows.length, ...c.rowShape]),
    };
    return (await c.direct.run(feeds))[c.output].data as Float32Array;
  };
  const infer = (c: Case, rows: readonly Float32Array[], id: string) =>
    client.modelInfer({
      modelName: c.model,
      modelVersion: c.version,
      id,
      inputs: [
        {
          name: c.input,
          datatype: 'FP32',
          shape: [BigInt(rows.length), ...c.rowShape.map(BigInt)],
        },
      ],
      rawInputContents: [bytesOf(stack2(rows))],
    });

  it.each([
    ['spam', '1'],
    ['spam', '2'],
    ['ppocr', '1'],
  ])('%s:%s is bit-exact for the same batch composition', async (model, version) => {
    const c = cases.find((x) => x.model === model && x.version === version)!;
    // One request at a time, so each runs alone: the server's batch is exactly the direct one.
    for (const size of [1, c.rows.length]) {
      const rows = c.rows.slice(0, size);
      const answer = await infer(c, rows, `${model}-${size}`);
      expect(answer.modelVersion).toBe(version);
      expect(Array.from(floats(answer.rawOutputContents[0]))).toEqual(
        Array.from(await runDirect(c, rows)),
      );
    }
  });

  it.each([
    ['spam', '1'],
    ['spam', '2'],
    ['ppocr', '1'],
  ])(
    '%s:%s is within 1e-5 when concurrent requests are batched together',
    async (model, version) => {
      const c = cases.find((x) => x.model === model && x.version === version)!;
      const before = (await client.modelStatistics({ name: model, version })).modelStats[0];
      const answers = await Promise.all(c.rows.map((row, i) => infer(c, [row], `${model}-${i}`)));
      const after = (await client.modelStatistics({ name: model, version })).modelStats[0];
      // Fewer model runs than requests: some answers really came from merged batches.
      expect(after.executionCount - before.executionCount).toBeLessThan(BigInt(c.rows.length));
      for (let i = 0; i < c.rows.length; i++) {
        expect(answers[i].id).toBe(`${model}-${i}`);
        const got = floats(answers[i].rawOutputContents[0]);
        const want = await runDirect(c, [c.rows[i]]);
        expect(got.length).toBe(want.length);
        want.forEach((value, j) => expect(Math.abs(got[j] - value)).toBeLessThanOrEqual(1e-5));
      }
    },
  );

  it('the spam models classify held-out messages as their metadata says', async () => {
    // A sanity check that the features reach the model intact: argmax agrees with the labels mostly.
    const messages = spamHeldOutMessages().slice(0, SPAM_ROWS);
    for (const c of cases.filter((x) => x.model === 'spam')) {
      const answer = await infer(c, c.rows, `labels-${c.version}`);
      const probabilities = floats(answer.rawOutputContents[0]);
      const correct = messages.filter(
        (message, i) =>
          Number(probabilities[i * 2 + 1] > probabilities[i * 2]) === Number(message.label),
      ).length;
      expect(correct).toBeGreaterThanOrEqual(Math.floor(SPAM_ROWS * 0.75));
    }
  });
});
