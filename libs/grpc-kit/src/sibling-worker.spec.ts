import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from './sibling-worker';

function firstMessage(worker: Worker): Promise<unknown> {
  return new Promise((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
}

describe('startSiblingWorker', () => {
  it('starts a TypeScript worker beside a TypeScript module, through tsx', async () => {
    const worker = startSiblingWorker(join(__dirname, 'testing', 'host.ts'), 'echo-worker', {
      workerData: { answer: 42 },
    });
    await expect(firstMessage(worker)).resolves.toEqual({ answer: 42 });
    await worker.terminate();
  });

  it('starts a JavaScript worker beside a JavaScript module, as is', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verdict-sibling-worker-'));
    try {
      await writeFile(
        join(dir, 'echo-worker.js'),
        "require('node:worker_threads').parentPort.postMessage(__filename);\n",
      );
      const worker = startSiblingWorker(join(dir, 'host.js'), 'echo-worker');
      await expect(firstMessage(worker)).resolves.toBe(join(dir, 'echo-worker.js'));
      await worker.terminate();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
