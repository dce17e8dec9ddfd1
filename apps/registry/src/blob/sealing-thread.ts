/**
 * The blob store's sealing thread: uploads are hashed, encrypted and written to their temporary
 * files on a worker thread, so that the event loop only copies each chunk into shared memory.
 *
 * Why a thread: AES-GCM output is a new buffer per chunk, and on the event loop those buffers
 * set V8's major GCs going, each marking the whole service's heap; SHA-256 and AES together
 * also held the loop for every chunk. On the worker the buffers are collected with a small
 * heap, and the cores share the work (figures: docs/decisions.md#registry).
 *
 * Each upload gets a ring of SLOTS chunk-sized slots in one SharedArrayBuffer: a write copies
 * into a free slot and posts its number; the worker answers once the slot's bytes are hashed and
 * sealed (so it is free again) and written. The file itself is opened and closed by the event
 * loop; the worker writes to its descriptor, and the descriptor is closed only after the worker
 * has answered every job of that upload.
 */
import type { Worker } from 'node:worker_threads';
import { startSiblingWorker } from '@verdict/grpc-kit';

/** Slots per upload: chunks copied and not yet sealed and written. */
export const SLOTS = 4;

/** A message to the worker. */
export type SealingJob =
  | {
      kind: 'open';
      upload: number;
      fd: number;
      dataKey: Uint8Array;
      chunkBytes: number;
      slots: SharedArrayBuffer;
    }
  | { kind: 'write'; upload: number; slot: number; length: number }
  | { kind: 'finish'; upload: number }
  | { kind: 'close'; upload: number };

/** The worker's answer to one job, in the order of that upload's jobs. */
export type SealingReply =
  | { upload: number; kind: 'done' }
  | { upload: number; kind: 'finished'; sha256: string; sizeBytes: number }
  | { upload: number; kind: 'failed'; error: string };

/** One upload's side of the sealing thread. */
export interface SealingUpload {
  /** Copies `data` into slots and hands them on; waits only while every slot is taken. */
  write(data: Uint8Array): Promise<void>;
  /** Seals the last chunk and fsyncs; the plaintext digest and size. */
  finish(): Promise<{ sha256: string; sizeBytes: number }>;
  /** Resolves once the worker will touch the descriptor no more (after finish or a failure). */
  close(): Promise<void>;
}

export interface SealingThread {
  /** Starts sealing into `fd`, already open for writing at offset 0. */
  open(fd: number, dataKey: Uint8Array, chunkBytes: number): Promise<SealingUpload>;
  /** Stops the worker; uploads still open fail. */
  close(): Promise<void>;
}

interface Waiter {
  resolve(reply: SealingReply): void;
  reject(error: Error): void;
}

/** One worker and the answers it owes; a worker that fails is never used again. */
interface Generation {
  worker: Worker;
  broken?: Error;
  /** Per upload, the answers still to come, in order. */
  waiting: Map<number, Waiter[]>;
  pending: number;
}

/** Starts the worker when the first upload opens; it keeps the process alive only while busy. */
export function createSealingThread(): SealingThread {
  let current: Generation | undefined;
  let nextUpload = 1;

  const fail = (generation: Generation, error: Error) => {
    generation.broken ??= error;
    for (const waiters of generation.waiting.values()) {
      waiters.splice(0).forEach((waiter) => waiter.reject(generation.broken!));
    }
    if (current === generation) current = undefined;
  };
  const start = (): Generation => {
    const worker = startSiblingWorker(__filename, 'sealing-worker');
    worker.unref();
    const generation: Generation = { worker, waiting: new Map(), pending: 0 };
    worker.on('message', (reply: SealingReply) => {
      generation.pending -= 1;
      if (generation.pending === 0) worker.unref();
      generation.waiting.get(reply.upload)?.shift()?.resolve(reply);
    });
    worker.on('error', (error) =>
      fail(generation, new Error('the blob sealing thread failed', { cause: error })),
    );
    worker.on('exit', (code) =>
      fail(generation, new Error(`the blob sealing thread exited with code ${code}`)),
    );
    return generation;
  };
  /** Posts a job to the worker an upload was opened on and resolves with its answer. */
  const ask = (generation: Generation, job: SealingJob): Promise<SealingReply> => {
    if (generation.broken !== undefined) return Promise.reject(generation.broken);
    return new Promise((resolve, reject) => {
      generation.waiting.get(job.upload)!.push({ resolve, reject });
      generation.pending += 1;
      generation.worker.ref();
      generation.worker.postMessage(job);
    });
  };
  const check = (reply: SealingReply): SealingReply => {
    if (reply.kind === 'failed') throw new Error(`sealing the upload failed: ${reply.error}`);
    return reply;
  };

  return {
    async open(fd, dataKey, chunkBytes) {
      const generation = (current ??= start());
      const upload = nextUpload++;
      generation.waiting.set(upload, []);
      const slots = new SharedArrayBuffer(SLOTS * chunkBytes);
      const free = Array.from({ length: SLOTS }, (_, slot) => slot);
      // Writes whose slot is not free again yet, oldest first.
      const inFlight: Promise<number>[] = [];
      const close = async () => {
        // Answered after every earlier job of this upload, or at once by a failed worker.
        await ask(generation, { kind: 'close', upload }).catch(() => undefined);
        generation.waiting.delete(upload);
      };
      try {
        check(await ask(generation, { kind: 'open', upload, fd, dataKey, chunkBytes, slots }));
      } catch (error) {
        await close();
        throw error;
      }
      return {
        async write(data) {
          for (let offset = 0; offset < data.length;) {
            while (free.length === 0) free.push(await inFlight.shift()!);
            const slot = free.pop()!;
            const length = Math.min(chunkBytes, data.length - offset);
            new Uint8Array(slots, slot * chunkBytes, length).set(
              data.subarray(offset, offset + length),
            );
            offset += length;
            const freed = ask(generation, { kind: 'write', upload, slot, length })
              .then(check)
              .then(() => slot);
            // A failure surfaces when this slot is waited for, or from finish.
            freed.catch(() => undefined);
            inFlight.push(freed);
          }
        },
        async finish() {
          await Promise.all(inFlight.splice(0));
          const reply = check(await ask(generation, { kind: 'finish', upload }));
          if (reply.kind !== 'finished') throw new Error(`unexpected answer ${reply.kind}`);
          return { sha256: reply.sha256, sizeBytes: reply.sizeBytes };
        },
        close,
      };
    },
    async close() {
      const generation = current;
      if (generation === undefined) return;
      generation.worker.removeAllListeners('exit');
      fail(generation, new Error('the blob sealing thread was closed'));
      await generation.worker.terminate();
    },
  };
}
