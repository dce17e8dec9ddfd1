import { status } from '@grpc/grpc-js';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { inference } from '@verdict/proto';
import {
  startModelServerStack,
  TEST_MLP,
  type ModelServerStack,
} from './testing/model-server-stack';

const FEATURES = TEST_MLP.inputSize;
const rowsOf = (rows: number, seed: number) =>
  Float32Array.from({ length: rows * FEATURES }, (_, i) => Math.sin(seed * 7919 + i) * 3);
const raw = (data: Float32Array) => new Uint8Array(data.buffer.slice(0));
const floats = (bytes: Uint8Array) =>
  new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));

describe('model server over gRPC with mTLS', () => {
  let stack: ModelServerStack;
  let client: ReturnType<ModelServerStack['client']>;
  let direct: ort.InferenceSession;

  const expected = async (data: Float32Array, rows: number) =>
    (await direct.run({ input: new ort.Tensor('float32', data.slice(), [rows, FEATURES]) }))
      .probabilities.data as Float32Array;

  beforeAll(async () => {
    stack = await startModelServerStack();
    client = stack.client();
    direct = await ort.InferenceSession.create(join(stack.repository, 'mlp', '1', 'model.onnx'), {
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
    });
  });
  afterAll(async () => {
    client.close();
    await direct.release();
    await stack.stop();
  });

  it('answers liveness, readiness and metadata with the extensions it supports', async () => {
    expect((await client.serverLive({})).live).toBe(true);
    expect((await client.serverReady({})).ready).toBe(true);
    expect((await client.modelReady({ name: 'mlp' })).ready).toBe(true);
    expect((await client.modelReady({ name: 'mlp', version: '9' })).ready).toBe(false);
    const server = await client.serverMetadata({});
    expect(server.extensions).toEqual(
      expect.arrayContaining(['statistics', 'model_configuration', 'model_repository']),
    );
    const model = await client.modelMetadata({ name: 'mlp' });
    expect(model).toMatchObject({ name: 'mlp', versions: ['1'], platform: 'onnxruntime_onnx' });
    expect(model.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['input', 'FP32', [-1n, BigInt(FEATURES)]],
    ]);
    expect(model.outputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['probabilities', 'FP32', [-1n, BigInt(TEST_MLP.outputSize)]],
    ]);
  });

  it('returns exactly what a direct onnxruntime session returns, from raw and from typed inputs', async () => {
    const data = rowsOf(3, 1);
    const want = await expected(data, 3);
    const fromRaw = await client.modelInfer({
      modelName: 'mlp',
      id: 'raw',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [3n, BigInt(FEATURES)] }],
      rawInputContents: [raw(data)],
    });
    expect(fromRaw).toMatchObject({ id: 'raw', modelName: 'mlp', modelVersion: '1' });
    expect(fromRaw.outputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['probabilities', 'FP32', [3n, BigInt(TEST_MLP.outputSize)]],
    ]);
    expect(Array.from(floats(fromRaw.rawOutputContents[0]))).toEqual(Array.from(want));
    const fromTyped = await client.modelInfer({
      modelName: 'mlp',
      modelVersion: '1',
      inputs: [
        {
          name: 'input',
          datatype: 'FP32',
          shape: [3n, BigInt(FEATURES)],
          contents: { fp32Contents: Array.from(data) },
        },
      ],
      outputs: [{ name: 'probabilities' }],
    });
    expect(Array.from(floats(fromTyped.rawOutputContents[0]))).toEqual(Array.from(want));
  });

  it('gives each of 1,000 concurrent requests its own rows', async () => {
    const requests = Array.from({ length: 1000 }, (_, i) => ({
      rows: 1 + (i % 3),
      data: rowsOf(1 + (i % 3), 1000 + i),
    }));
    const answers = await Promise.all(
      requests.map((r, i) =>
        client.modelInfer({
          modelName: 'mlp',
          id: `r${i}`,
          inputs: [{ name: 'input', datatype: 'FP32', shape: [BigInt(r.rows), BigInt(FEATURES)] }],
          rawInputContents: [raw(r.data)],
        }),
      ),
    );
    for (let i = 0; i < requests.length; i++) {
      expect(answers[i].id).toBe(`r${i}`);
      expect(answers[i].outputs[0].shape).toEqual([
        BigInt(requests[i].rows),
        BigInt(TEST_MLP.outputSize),
      ]);
      const got = floats(answers[i].rawOutputContents[0]);
      const want = await expected(requests[i].data, requests[i].rows);
      got.forEach((value, j) => expect(Math.abs(value - want[j])).toBeLessThanOrEqual(1e-5));
    }
    const [stats] = (await client.modelStatistics({ name: 'mlp', version: '1' })).modelStats;
    // Triton's semantics: rows counted per inference, model runs per execution; batching ran fewer runs than requests.
    expect(stats.inferenceCount).toBeGreaterThanOrEqual(
      BigInt(requests.reduce((sum, r) => sum + r.rows, 0)),
    );
    expect(stats.executionCount).toBeLessThan(stats.inferenceStats!.success!.count);
    expect(stats.batchStats.some((batch) => batch.batchSize > 1n)).toBe(true);
  }, 60_000);

  it('reports failed requests inside a stream by id and keeps the stream going', async () => {
    async function* requests() {
      yield {
        modelName: 'mlp',
        id: 'good-1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(FEATURES)] }],
        rawInputContents: [raw(rowsOf(1, 5))],
      };
      yield {
        modelName: 'mlp',
        id: 'bad',
        inputs: [{ name: 'input', datatype: 'FP64', shape: [1n, BigInt(FEATURES)] }],
      };
      yield { modelName: 'nope', id: 'missing' };
      yield {
        modelName: 'mlp',
        id: 'good-2',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(FEATURES)] }],
        rawInputContents: [raw(rowsOf(1, 6))],
      };
    }
    const seen = new Map<string, string>();
    for await (const response of client.modelStreamInfer(requests()))
      seen.set(response.inferResponse!.id, response.errorMessage);
    expect(seen.get('good-1')).toBe('');
    expect(seen.get('good-2')).toBe('');
    expect(seen.get('bad')).toMatch(/inputs\[input\]\.datatype.*FP32.*FP64/);
    expect(seen.get('missing')).toMatch(/nope/);
  });

  it('answers NOT_FOUND naming the models and versions that exist', async () => {
    await expect(client.modelInfer({ modelName: 'nope' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringMatching(/nope.*mlp/),
    });
    await expect(client.modelMetadata({ name: 'mlp', version: '7' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: expect.stringMatching(/7.*1/),
    });
  });

  it('describes the configuration, the repository, and refuses repository changes to non-admins', async () => {
    const { config } = await client.modelConfig({ name: 'mlp' });
    expect(config).toMatchObject({ name: 'mlp', platform: 'onnxruntime_onnx', maxBatchSize: 64 });
    expect(config!.input[0].dims).toEqual([BigInt(FEATURES)]);
    expect(config!.schedulingChoice.case).toBe('dynamicBatching');
    expect(
      (await client.repositoryIndex({})).models.map((m) => [m.name, m.version, m.state]),
    ).toEqual([['mlp', '1', 'READY']]);
    const router = stack.client('router');
    await expect(router.repositoryModelUnload({ modelName: 'mlp' })).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    router.close();
  });

  it('unloads and reloads a model, and reports a broken version while the old one keeps serving', async () => {
    await client.repositoryModelUnload({ modelName: 'mlp' });
    expect((await client.repositoryIndex({})).models[0]).toMatchObject({
      name: 'mlp',
      state: 'UNAVAILABLE',
    });
    await expect(client.modelInfer({ modelName: 'mlp' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    await client.repositoryModelLoad({ modelName: 'mlp' });
    await stack.writeModel('mlp', 2, new TextEncoder().encode('not an onnx model'));
    await expect(client.repositoryModelLoad({ modelName: 'mlp' })).rejects.toMatchObject({
      code: status.FAILED_PRECONDITION,
      details: expect.stringMatching(/version 2/),
    });
    const [row] = (await client.repositoryIndex({})).models;
    expect(row).toMatchObject({
      name: 'mlp',
      version: '1',
      state: 'READY',
      reason: expect.stringMatching(/version 2/),
    });
    const answer = await client.modelInfer({
      modelName: 'mlp',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(FEATURES)] }],
      rawInputContents: [raw(rowsOf(1, 9))],
    });
    expect(answer.modelVersion).toBe('1');
    const metrics = await (await fetch(`http://127.0.0.1:${stack.service.opsPort}/metrics`)).text();
    expect(metrics).toMatch(/verdict_model_load_failures_total\{[^}]*model="mlp"[^}]*\} 1/);
    expect(metrics).toMatch(/verdict_model_requests_total\{[^}]*outcome="success"/);
    expect(metrics).toMatch(/verdict_model_batch_size_bucket/);
  });
});

// Typed message construction is checked by the compiler; this keeps the import used for readers.
void inference;
