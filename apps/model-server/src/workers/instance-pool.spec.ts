import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildMlp } from '@verdict/model-zoo';
import * as ort from 'onnxruntime-node';
import { createInstancePool, type InstancePool } from './instance-pool';

const MLP = { inputSize: 8, hiddenSizes: [16], outputSize: 4, seed: 7 };

describe('instance pool', () => {
  let dir: string;
  let modelPath: string;
  let pool: InstancePool;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-pool-'));
    modelPath = join(dir, 'model.onnx');
    await writeFile(modelPath, buildMlp(MLP));
    pool = await createInstancePool({
      count: 2,
      session: {
        modelPath,
        executionProvider: 'cpu',
        graphOptimizationLevel: 'all',
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      },
    });
  });
  afterAll(async () => {
    await pool.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('runs a batch in a worker and returns exactly what a direct session returns', async () => {
    const input = Float32Array.from({ length: 3 * MLP.inputSize }, (_, i) => Math.sin(i));
    const direct = await ort.InferenceSession.create(modelPath);
    const expected = (
      await direct.run({ input: new ort.Tensor('float32', input.slice(), [3, MLP.inputSize]) })
    ).probabilities;
    const result = await pool.run(
      [{ name: 'input', datatype: 'FP32', shape: [3, MLP.inputSize], data: input.slice() }],
      ['probabilities'],
    );
    expect(result.outputs[0].shape).toEqual([3, MLP.outputSize]);
    expect(Array.from(result.outputs[0].data as Float32Array)).toEqual(
      Array.from(expected.data as Float32Array),
    );
    await direct.release();
  });

  it('reports a run error without losing the instance', async () => {
    await expect(
      pool.run(
        [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }],
        ['probabilities'],
      ),
    ).rejects.toThrow(/model run failed/);
    expect(pool.idleCount()).toBe(2);
  });

  it('refuses a file that is not a model', async () => {
    const bad = join(dir, 'bad.onnx');
    await writeFile(bad, 'not a model');
    await expect(
      createInstancePool({
        count: 1,
        session: {
          modelPath: bad,
          executionProvider: 'cpu',
          graphOptimizationLevel: 'all',
          intraOpNumThreads: 1,
          interOpNumThreads: 1,
        },
      }),
    ).rejects.toMatchObject({ code: 9 });
  });
});
