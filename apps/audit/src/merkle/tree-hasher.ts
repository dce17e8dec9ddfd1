/**
 * Runs `extendTree` (./tree-extension) on a worker thread, so that hashing a batch of records
 * takes the second core while the log's thread encodes the next calls and the batch is written.
 */
import { startSiblingWorker } from '@verdict/grpc-kit';
import type { Frontier, TreeExtension } from './tree-extension';

/** A message to the worker: `extendTree`'s arguments. */
export interface HashJob {
  size: number;
  frontier: Frontier;
  payload: Uint8Array;
}

/** The worker's answer to one job. */
export type HashReply = { extension: TreeExtension } | { error: string };

export interface TreeHasher {
  /**
   * `extendTree` of `parts` (whole records in payload framing) joined, for a tree of
   * `size` leaves with `frontier`. The parts are copied before this returns.
   */
  extend(size: number, frontier: Frontier, parts: readonly Uint8Array[]): Promise<TreeExtension>;
  close(): Promise<void>;
}

/** Starts the worker. Jobs are answered in order; if the worker dies, every job waiting fails. */
export function createTreeHasher(): TreeHasher {
  const worker = startSiblingWorker(__filename, 'hashing-worker');
  // The worker keeps the process alive only while a job waits on it.
  worker.unref();
  const waiting: Array<{ resolve(extension: TreeExtension): void; reject(error: Error): void }> =
    [];
  let broken: Error | undefined;
  const failAll = (error: Error) => {
    broken = error;
    waiting.splice(0).forEach((job) => job.reject(error));
  };
  worker.on('message', (reply: HashReply) => {
    const job = waiting.shift();
    if (waiting.length === 0) worker.unref();
    if ('error' in reply) job?.reject(new Error(`hashing a batch failed: ${reply.error}`));
    else job?.resolve(reply.extension);
  });
  worker.on('error', (error) =>
    failAll(new Error('the tree hashing worker failed', { cause: error })),
  );
  worker.on('exit', (code) =>
    failAll(new Error(`the tree hashing worker exited with code ${code}`)),
  );

  return {
    extend(size, frontier, parts) {
      if (broken !== undefined) return Promise.reject(broken);
      // One payload in its own memory, moved to the worker rather than copied again.
      const payload = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
      let at = 0;
      for (const part of parts) {
        payload.set(part, at);
        at += part.length;
      }
      return new Promise((resolve, reject) => {
        waiting.push({ resolve, reject });
        worker.ref();
        const job: HashJob = { size, frontier, payload };
        worker.postMessage(job, [payload.buffer]);
      });
    },
    async close() {
      worker.removeAllListeners('exit');
      await worker.terminate();
      failAll(new Error('the tree hasher is closed'));
    },
  };
}
