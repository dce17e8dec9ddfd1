import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DataLossError, NotFoundError } from '@verdict/errors';
import { BLOB_HEADER_BYTES, TAG_BYTES, importChunkKey } from '../crypto/chunk-sealing';
import { blobLayout, openChunk, parseBlobHeader } from '../crypto/chunked-cipher';
import { createSealingThread, type SealingUpload } from './sealing-thread';

/** Options of {@link createBlobStore}. */
export interface BlobStoreOptions {
  /** Directory holding `blobs/` and `tmp/`. */
  dir: string;
  /**
   * Plaintext bytes per encrypted chunk: the unit of authentication, of resumption and of the
   * memory a read or write holds.
   * @default 1 MiB
   */
  chunkBytes?: number;
}

/** Default plaintext bytes per encrypted chunk. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/**
 * Chunks a reader may have in the works at once (being read on the thread pool and opened):
 * enough to keep the event loop and the disk both busy, few enough that memory stays a few
 * chunks whatever the blob's size. (A writer's are the sealing thread's slots.)
 */
const CHUNKS_IN_FLIGHT = 4;

const ignore = () => undefined;

/**
 * An upload being written to a temporary file, encrypted and hashed as it arrives (on the
 * sealing thread, ./sealing-thread.ts).
 */
export interface BlobWriter {
  /** Appends plaintext (encrypted before it reaches the disk). */
  write(data: Uint8Array): Promise<void>;
  /** Seals the last chunk and fsyncs; returns the plaintext digest and size. */
  finish(): Promise<{ sha256: string; sizeBytes: number }>;
  /** Moves the finished file to its content address (atomic rename, directory fsynced). */
  commit(): Promise<void>;
  /** Deletes the temporary file; safe to call at any point, and more than once. */
  abort(): Promise<void>;
}

/** A stored blob opened for reading. */
export interface BlobReader {
  readonly plaintextBytes: number;
  /** Decrypted chunks from `offset` on, each authenticated before it is returned. */
  read(offset: number): AsyncGenerator<Buffer>;
}

/** Content-addressed encrypted blobs on the local file system, named by plaintext SHA-256. */
export interface BlobStore {
  readonly dir: string;
  /** Creates the directories and deletes temporary files a crashed upload left behind. */
  init(): Promise<{ removedTemporary: number }>;
  /** Starts writing a blob encrypted with `dataKey`. */
  create(dataKey: Uint8Array): Promise<BlobWriter>;
  has(sha256: string): Promise<boolean>;
  /** @throws NotFoundError when absent; DataLossError when the file is not a valid blob */
  open(sha256: string, dataKey: Uint8Array): Promise<BlobReader>;
  /** Digests of every stored blob. */
  list(): Promise<string[]>;
  remove(sha256: string): Promise<void>;
  /** Path of a blob's file (for operators and tests). */
  pathOf(sha256: string): string;
  /** Stops the sealing thread; writers still open fail. */
  close(): Promise<void>;
}

/** Creates a blob store in `options.dir`. */
export function createBlobStore(options: BlobStoreOptions): BlobStore {
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  const blobsDir = join(options.dir, 'blobs');
  const tmpDir = join(options.dir, 'tmp');
  const pathOf = (sha256: string) => join(blobsDir, sha256.slice(0, 2), sha256);
  const sealing = createSealingThread();

  return {
    dir: options.dir,
    pathOf,
    async init() {
      await mkdir(blobsDir, { recursive: true });
      await mkdir(tmpDir, { recursive: true });
      const leftovers = await readdir(tmpDir);
      await Promise.all(leftovers.map((name) => rm(join(tmpDir, name), { force: true })));
      return { removedTemporary: leftovers.length };
    },
    async create(dataKey) {
      const tmpPath = join(tmpDir, `${randomUUID()}.part`);
      const handle = await open(tmpPath, 'wx', 0o600);
      let upload: SealingUpload;
      try {
        upload = await sealing.open(handle.fd, dataKey, chunkBytes);
      } catch (error) {
        await handle.close();
        await rm(tmpPath, { force: true });
        throw error;
      }
      return createWriter(handle, tmpPath, upload, pathOf);
    },
    async has(sha256) {
      try {
        await stat(pathOf(sha256));
        return true;
      } catch {
        return false;
      }
    },
    async open(sha256, dataKey) {
      let handle: FileHandle;
      try {
        handle = await open(pathOf(sha256), 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
          throw new NotFoundError({ kind: 'blob', resource: sha256 });
        }
        throw error;
      }
      try {
        return await createReader(handle, dataKey, `blob ${sha256}`);
      } catch (error) {
        await handle.close();
        throw error;
      }
    },
    async list() {
      const shards = await readdir(blobsDir).catch(() => [] as string[]);
      const lists = await Promise.all(shards.map((shard) => readdir(join(blobsDir, shard))));
      return lists.flat();
    },
    async remove(sha256) {
      await rm(pathOf(sha256), { force: true });
    },
    close: () => sealing.close(),
  };
}

function createWriter(
  handle: FileHandle,
  tmpPath: string,
  upload: SealingUpload,
  pathOf: (sha256: string) => string,
): BlobWriter {
  let digest: string | undefined;
  let closed = false;
  // The descriptor is closed only once the sealing thread has let go of it.
  const close = async () => {
    if (!closed) {
      closed = true;
      await upload.close();
      await handle.close();
    }
  };
  return {
    write: (data) => upload.write(data),
    async finish() {
      const result = await upload.finish();
      await close();
      digest = result.sha256;
      return result;
    },
    async commit() {
      if (digest === undefined) throw new Error('commit before finish');
      const target = pathOf(digest);
      const shardDir = join(target, '..');
      await mkdir(shardDir, { recursive: true });
      await rename(tmpPath, target);
      const dir = await open(shardDir, 'r');
      try {
        await dir.sync();
      } finally {
        await dir.close();
      }
    },
    async abort() {
      await close().catch(ignore);
      await rm(tmpPath, { force: true });
    },
  };
}

async function createReader(
  handle: FileHandle,
  dataKey: Uint8Array,
  what: string,
): Promise<BlobReader> {
  const { size } = await handle.stat();
  const header = Buffer.alloc(BLOB_HEADER_BYTES);
  const { bytesRead } = await handle.read(header, 0, BLOB_HEADER_BYTES, 0);
  if (bytesRead !== BLOB_HEADER_BYTES) throw new DataLossError(`${what} is shorter than a header`);
  const layout = blobLayout(size, parseBlobHeader(header, what), what);
  const key = importChunkKey(dataKey);
  const record = layout.chunkBytes + TAG_BYTES;
  // Read buffers not in use: a chunk is opened into a new buffer as soon as it is read, so its
  // read buffer is free again at once; at most CHUNKS_IN_FLIGHT ever exist.
  const spare: Buffer[] = [];
  /** Reads chunk `index` and opens it. */
  const readChunk = async (index: number): Promise<Buffer> => {
    const start = BLOB_HEADER_BYTES + index * record;
    const length = Math.min(record, size - start);
    const buffer = spare.pop() ?? Buffer.allocUnsafe(record);
    try {
      const got = await handle.read(buffer, 0, length, start);
      if (got.bytesRead !== length) throw new DataLossError(`${what}: chunk ${index} is cut short`);
      const last = index === layout.chunkCount - 1;
      return openChunk(key, header, index, last, buffer.subarray(0, length), what);
    } finally {
      spare.push(buffer);
    }
  };
  return {
    plaintextBytes: layout.plaintextBytes,
    async *read(offset) {
      // Chunks being read and opened ahead of the one handed out, in order.
      const ahead: Promise<Buffer>[] = [];
      try {
        if (offset >= layout.plaintextBytes) return;
        const first = Math.floor(offset / layout.chunkBytes);
        let next = first;
        for (let index = first; index < layout.chunkCount; index++) {
          while (next < layout.chunkCount && ahead.length < CHUNKS_IN_FLIGHT) {
            const opening = readChunk(next++);
            opening.catch(ignore);
            ahead.push(opening);
          }
          const plaintext = await ahead.shift()!;
          const skip = index === first ? offset % layout.chunkBytes : 0;
          yield skip === 0 ? plaintext : plaintext.subarray(skip);
        }
      } finally {
        // A reader stopped early still lets its reads finish before the file is closed.
        await Promise.all(ahead.map((opening) => opening.catch(ignore)));
        await handle.close();
      }
    },
  };
}
