/**
 * The tree hasher's worker thread: answers each job with {@link extendTree}'s result, or the
 * error's message, in the order the jobs came.
 */
import { parentPort } from 'node:worker_threads';
import { extendTree } from './tree-extension';
import type { HashJob, HashReply } from './tree-hasher';

const port = parentPort!;
port.on('message', (job: HashJob) => {
  let reply: HashReply;
  try {
    reply = { extension: extendTree(job.size, job.frontier, job.payload) };
  } catch (error) {
    reply = { error: error instanceof Error ? error.message : String(error) };
  }
  // extendTree allocates `hashes` in its own ArrayBuffer: moved to the log's thread, not copied.
  port.postMessage(
    reply,
    'extension' in reply ? [reply.extension.hashes.buffer as ArrayBuffer] : [],
  );
});
