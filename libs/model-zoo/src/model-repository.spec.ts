import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { writeModelRepository } from './model-repository';

/** Training and reading the corpus take seconds, more on a loaded CI machine. */
const TRAINING_TIMEOUT_MS = 60_000;

describe('writeModelRepository', () => {
  let root: string;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'model-zoo-repository-'));
  });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  // One epoch each: this checks the layout and the cache, spam-models.spec.ts the accuracy.
  const spam = (cacheDir: string) => ({ cacheDir, training: { epochs: 1 } });

  it(
    'lays out spam 1 and 2, mlp 1 and optionally ppocr 1, each loadable by onnxruntime',
    async () => {
      const dir = join(root, 'models');
      const entries = await writeModelRepository(dir, {
        spam: spam(join(root, 'cache')),
        includePpocr: true,
        maxBatchSize: 32,
      });
      expect(entries.map((entry) => `${entry.name}/${entry.version}`)).toEqual([
        'spam/1',
        'spam/2',
        'mlp/1',
        'ppocr/1',
      ]);
      for (const entry of entries) {
        expect(entry.path).toBe(join(dir, entry.name, String(entry.version), 'model.onnx'));
        const session = await InferenceSession.create(readFileSync(entry.path));
        expect([...session.inputNames]).toEqual(entry.signature.inputs.map((input) => input.name));
        await session.release();
        expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      }
      expect(entries[2].signature.inputs).toEqual([
        { name: 'input', datatype: 'FP32', shape: [-1, 64] },
      ]);
      expect(readFileSync(join(dir, 'spam', 'config.yaml'), 'utf8')).toContain(
        'max_batch_size: 32\n',
      );
      expect(readFileSync(join(dir, 'mlp', 'config.yaml'), 'utf8')).toContain(
        'dynamic_batching:\n  max_queue_delay_microseconds: 500\n',
      );
    },
    TRAINING_TIMEOUT_MS,
  );

  it(
    'reuses the trained spam models from the cache and writes identical files',
    async () => {
      const cacheDir = join(root, 'cache');
      const first = await writeModelRepository(join(root, 'first'), { spam: spam(cacheDir) });
      const cachedAt = statSync(join(cacheDir)).mtimeMs;
      const second = await writeModelRepository(join(root, 'second'), { spam: spam(cacheDir) });
      expect(second.map((entry) => entry.sha256)).toEqual(first.map((entry) => entry.sha256));
      expect(statSync(join(cacheDir)).mtimeMs).toBe(cachedAt);
      expect(second.some((entry) => entry.name === 'ppocr')).toBe(false);
    },
    TRAINING_TIMEOUT_MS,
  );
});
