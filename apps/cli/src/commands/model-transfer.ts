import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { DataLossError, InvalidArgumentError } from '@verdict/errors';
import { bytesFieldMessage } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import type { RegistryClient } from './model-client';

/**
 * Bytes read from disk per upload message: large enough that per-message costs vanish, small
 * enough that memory stays flat (the registry's default encrypted chunk is 1 MiB too).
 */
export const DEFAULT_TRANSFER_CHUNK_BYTES = 1024 * 1024;

/** Suffix of the file a download is written to until its digest checks out. */
export const PARTIAL_SUFFIX = '.part';

/** SHA-256 and size of a file, read in chunks (never whole). */
export async function hashFile(
  path: string,
  options: { chunkBytes?: number; onProgress?: (doneBytes: number) => void } = {},
): Promise<{ sha256: string; sizeBytes: number }> {
  const hash = createHash('sha256');
  let sizeBytes = 0;
  const stream = createReadStream(path, {
    highWaterMark: options.chunkBytes ?? DEFAULT_TRANSFER_CHUNK_BYTES,
  });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    hash.update(chunk);
    sizeBytes += chunk.length;
    options.onProgress?.(sizeBytes);
  }
  return { sha256: hash.digest('hex'), sizeBytes };
}

/** What {@link uploadFile} sends besides the bytes. */
export interface UploadFileOptions {
  model: string;
  /** SHA-256 of the file, hex: the registry checks the bytes against it. */
  sha256: string;
  sizeBytes: number;
  /** Free key-values stored with the version. */
  metadata?: Record<string, string>;
  /** Team of the model this upload creates when it does not exist yet (only if accepted). */
  createTeam?: string;
  /** Description of a model the upload creates. */
  createDescription?: string;
  /** @default DEFAULT_TRANSFER_CHUNK_BYTES */
  chunkBytes?: number;
  onProgress?: (doneBytes: number) => void;
}

/**
 * Streams a file to UploadVersion: the header, then the file in chunks. Each chunk is read from
 * disk straight into its encoded message, so its bytes are copied once more only by grpc-js.
 * @throws Error when the file's size changes while it is read
 */
export function uploadFile(
  client: RegistryClient,
  path: string,
  options: UploadFileOptions,
): Promise<registryV1.UploadVersionResponse> {
  const chunkBytes = options.chunkBytes ?? DEFAULT_TRANSFER_CHUNK_BYTES;
  async function* requests() {
    yield {
      content: {
        case: 'header' as const,
        value: {
          model: options.model,
          sha256: options.sha256,
          sizeBytes: BigInt(options.sizeBytes),
          format: 'onnx',
          metadata: options.metadata ?? {},
          createTeam: options.createTeam ?? '',
          createDescription: options.createDescription ?? '',
        },
      },
    };
    const handle = await open(path, 'r');
    try {
      const { size } = await handle.stat();
      for (let position = 0; position < size;) {
        const length = Math.min(chunkBytes, size - position);
        const { message, value } = bytesFieldMessage(
          registryV1.UploadVersionRequestSchema,
          'chunk',
          length,
        );
        await readFully(handle, value, position, path);
        yield message;
        position += length;
        options.onProgress?.(position);
      }
    } finally {
      await handle.close();
    }
  }
  // A large model takes as long as it takes; the stream itself shows it is alive.
  return client.uploadVersion(requests(), { timeoutMs: 0 });
}

/** Fills `into` from `handle` at `position`, or throws when the file ends first. */
async function readFully(handle: FileHandle, into: Buffer, position: number, path: string) {
  for (let filled = 0; filled < into.length;) {
    const { bytesRead } = await handle.read(into, filled, into.length - filled, position + filled);
    if (bytesRead === 0) throw new Error(`${path} got shorter while it was being uploaded`);
    filled += bytesRead;
  }
}

/** Which version to download. */
export type VersionSelector = { version: bigint } | { alias: string };

/** Result of {@link downloadToFile}. */
export interface DownloadResult {
  version: registryV1.ModelVersion;
  sha256: string;
  sizeBytes: number;
  /** Bytes that were already in the partial file and not downloaded again. */
  resumedFromBytes: number;
}

/**
 * Downloads a version into `out`: bytes go to `out.part` first, resumed from its length when a
 * previous pull was cut off, and the file is renamed to `out` only once the SHA-256 of every
 * byte equals the digest the registry announced in the stream header. A mismatch deletes the
 * partial file, so the next pull starts clean.
 */
export async function downloadToFile(
  client: RegistryClient,
  model: string,
  selector: VersionSelector,
  out: string,
  options: {
    onStart?: (sizeBytes: number, offset: number) => void;
    onProgress?: (doneBytes: number) => void;
  } = {},
): Promise<DownloadResult> {
  const partial = `${out}${PARTIAL_SUFFIX}`;
  const existing = await stat(partial).then(
    (s) => s.size,
    () => 0,
  );
  const hash = createHash('sha256');
  if (existing > 0) {
    for await (const chunk of createReadStream(partial) as AsyncIterable<Buffer>)
      hash.update(chunk);
  }
  const handle = await open(partial, existing > 0 ? 'r+' : 'w');
  const writes: Promise<void>[] = [];
  let header: registryV1.DownloadHeader | undefined;
  let position = existing;
  try {
    const stream = client.downloadVersion(
      {
        model,
        selector:
          'alias' in selector
            ? { case: 'alias', value: selector.alias }
            : { case: 'version', value: selector.version },
        offset: BigInt(existing),
      },
      { timeoutMs: 0 },
    );
    for await (const message of stream) {
      if (message.content.case === 'header') {
        header = message.content.value;
        if (header.offset !== BigInt(existing)) {
          throw new DataLossError(
            `the registry resumed at byte ${header.offset}, not at ${existing} as asked`,
          );
        }
        options.onStart?.(Number(header.sizeBytes), existing);
      } else if (message.content.case === 'chunk') {
        if (header === undefined)
          throw new DataLossError('the download sent bytes before its header');
        const chunk = message.content.value;
        hash.update(chunk);
        // Each chunk goes to its own offset, so the next one can be received and hashed while
        // the disk takes this one; a few writes in flight bound the memory held.
        const write = writeAt(handle, chunk, position);
        write.catch(() => undefined); // surfaces from the awaits below, never unhandled
        writes.push(write);
        position += chunk.length;
        while (writes.length > WRITES_IN_FLIGHT) await writes.shift();
        options.onProgress?.(position);
      }
    }
    if (header === undefined) throw new DataLossError('the download ended without a header');
    await Promise.all(writes.splice(0));
    await handle.sync();
  } finally {
    await Promise.allSettled(writes);
    await handle.close();
  }
  const sizeBytes = Number(header.sizeBytes);
  const sha256 = hash.digest('hex');
  if (position !== sizeBytes || sha256 !== header.sha256) {
    await rm(partial, { force: true });
    throw new DataLossError(
      `${model}: received ${position} bytes with SHA-256 ${sha256}, the registry announced ` +
        `${sizeBytes} bytes with ${header.sha256}` +
        (existing > 0
          ? ` (resumed from ${existing} bytes already in ${partial}, now deleted)`
          : ''),
    );
  }
  await rename(partial, out);
  return { version: header.version!, sha256, sizeBytes, resumedFromBytes: existing };
}

/** Downloaded chunks being written at once by {@link downloadToFile}. */
const WRITES_IN_FLIGHT = 4;

/** Writes all of `chunk` at `position`. */
async function writeAt(handle: FileHandle, chunk: Uint8Array, position: number): Promise<void> {
  const { bytesWritten } = await handle.write(chunk, 0, chunk.length, position);
  if (bytesWritten !== chunk.length) throw new Error(`short write at byte ${position}`);
}

/** Parses `name`, `name@alias` or `name:version`. */
export function parseModelRef(ref: string): { model: string; selector?: VersionSelector } {
  const at = ref.indexOf('@');
  if (at >= 0) return { model: ref.slice(0, at), selector: { alias: ref.slice(at + 1) } };
  const colon = ref.indexOf(':');
  if (colon < 0) return { model: ref };
  const version = ref.slice(colon + 1);
  if (!/^[1-9][0-9]*$/.test(version)) {
    throw new InvalidArgumentError({
      field: 'model reference',
      expected: 'NAME, NAME@ALIAS or NAME:VERSION with VERSION a number >= 1',
      received: ref,
    });
  }
  return { model: ref.slice(0, colon), selector: { version: BigInt(version) } };
}
