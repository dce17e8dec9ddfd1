import { dirname, extname, join } from 'node:path';
import { Worker, type WorkerOptions } from 'node:worker_threads';

/**
 * Starts the worker thread whose file is `workerName` beside `moduleFile` (the caller passes its
 * own `__filename`), with the caller's extension.
 *
 * Compiled, both files are JavaScript and Node loads the worker as is. Under ts-jest and tsx
 * both are TypeScript, and Node loads a worker without jest's or `--import`'s loaders, so a
 * TypeScript worker starts through tsx's require hook. Such a worker file should import nothing
 * from the workspace: it is loaded without the tests' module mapping.
 */
export function startSiblingWorker(
  moduleFile: string,
  workerName: string,
  options: WorkerOptions = {},
): Worker {
  const extension = extname(moduleFile);
  const workerFile = join(dirname(moduleFile), `${workerName}${extension}`);
  if (extension !== '.ts') return new Worker(workerFile, options);
  return new Worker(`require('tsx/cjs'); require(${JSON.stringify(workerFile)});`, {
    ...options,
    eval: true,
  });
}
