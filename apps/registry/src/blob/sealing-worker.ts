/**
 * The sealing thread's worker (./sealing-thread.ts): per upload, hashes each chunk from its slot,
 * seals it with ChunkEncryptor and writes the records in order to the upload's descriptor. It
 * answers every job in order; once a job of an upload fails, its later jobs fail the same way.
 */
import { createHash, type Hash } from 'node:crypto';
import { fsyncSync, writevSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { parentPort } from 'node:worker_threads';
import { ChunkEncryptor, importChunkKey } from '../crypto/chunk-sealing';
import type { SealingJob, SealingReply } from './sealing-thread';

interface Upload {
  fd: number;
  slots: SharedArrayBuffer;
  chunkBytes: number;
  encryptor: ChunkEncryptor;
  hash: Hash;
  sizeBytes: number;
  position: number;
  failed?: string;
}

const uploads = new Map<number, Upload>();

/**
 * V8 frees a dead ciphertext buffer only when a GC runs, and this worker allocates little else,
 * so dead buffers piled up between collections and pushed the registry's peak RSS over its
 * budget (docs/decisions.md#registry). A young-generation collection after every
 * COLLECT_EVERY_BYTES sealed is cheap on this worker's small heap and keeps that to a few
 * chunks. `--expose-gc` gives
 * contexts created from now on a `gc` function; jest's leak detector obtains it the same way.
 */
const COLLECT_EVERY_BYTES = 4 * 1024 * 1024;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as (options: { type: 'minor' }) => void;
let sealedSinceCollect = 0;

/** Writes all of `parts` at the upload's position. */
function writeRecord(upload: Upload, parts: readonly Buffer[]): void {
  const length = parts.reduce((sum, part) => sum + part.length, 0);
  const written = writevSync(upload.fd, parts, upload.position);
  if (written !== length) throw new Error(`short write: ${written} of ${length} bytes`);
  upload.position += written;
}

function openUpload(job: Extract<SealingJob, { kind: 'open' }>): Upload {
  return {
    fd: job.fd,
    slots: job.slots,
    chunkBytes: job.chunkBytes,
    encryptor: new ChunkEncryptor(importChunkKey(job.dataKey), job.chunkBytes),
    hash: createHash('sha256'),
    sizeBytes: 0,
    position: 0,
  };
}

/** Carries out one job; what it returns (or throws) is the answer. */
function run(job: SealingJob): SealingReply {
  if (job.kind === 'open') uploads.set(job.upload, openUpload(job));
  if (job.kind === 'close') {
    uploads.delete(job.upload);
    return { upload: job.upload, kind: 'done' };
  }
  const upload = uploads.get(job.upload);
  if (upload === undefined) throw new Error(`no upload ${job.upload} is open`);
  if (upload.failed !== undefined) throw new Error(upload.failed);
  try {
    switch (job.kind) {
      case 'open':
        writeRecord(upload, [upload.encryptor.header]);
        return { upload: job.upload, kind: 'done' };
      case 'write': {
        const data = new Uint8Array(upload.slots, job.slot * upload.chunkBytes, job.length);
        upload.hash.update(data);
        upload.sizeBytes += data.length;
        for (const record of upload.encryptor.push(data)) writeRecord(upload, record);
        sealedSinceCollect += data.length;
        if (sealedSinceCollect >= COLLECT_EVERY_BYTES) {
          sealedSinceCollect = 0;
          collectGarbage({ type: 'minor' });
        }
        return { upload: job.upload, kind: 'done' };
      }
      case 'finish':
        writeRecord(upload, upload.encryptor.finish());
        fsyncSync(upload.fd);
        return {
          upload: job.upload,
          kind: 'finished',
          sha256: upload.hash.digest('hex'),
          sizeBytes: upload.sizeBytes,
        };
    }
  } catch (error) {
    upload.failed = error instanceof Error ? error.message : String(error);
    throw error;
  }
}

const port = parentPort!;
port.on('message', (job: SealingJob) => {
  let reply: SealingReply;
  try {
    reply = run(job);
  } catch (error) {
    reply = {
      upload: job.upload,
      kind: 'failed',
      error: error instanceof Error ? error.message : String(error),
    };
  }
  port.postMessage(reply);
});
