/** A worker for sibling-worker.spec.ts: answers with its workerData. */
import { parentPort, workerData } from 'node:worker_threads';

parentPort!.postMessage(workerData);
