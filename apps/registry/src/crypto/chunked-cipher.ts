/** Opening blobs in the format described in ./chunk-sealing: header, layout, chunks. */
import { createDecipheriv } from 'node:crypto';
import { DataLossError } from '@verdict/errors';
import {
  BLOB_HEADER_BYTES,
  MAGIC,
  FORMAT_VERSION,
  TAG_BYTES,
  aadOf,
  nonceOf,
  type ChunkKey,
} from './chunk-sealing';

/** Reads the chunk size from a header, or throws DataLossError. */
export function parseBlobHeader(header: Uint8Array, what: string): number {
  const buffer = Buffer.from(header.buffer, header.byteOffset, header.byteLength);
  if (
    buffer.length !== BLOB_HEADER_BYTES ||
    !buffer.subarray(0, 6).equals(MAGIC) ||
    buffer[6] !== FORMAT_VERSION
  ) {
    throw new DataLossError(`${what} does not start with a registry blob header`);
  }
  const chunkBytes = buffer.readUInt32BE(8);
  if (chunkBytes === 0) throw new DataLossError(`${what} declares a chunk size of 0`);
  return chunkBytes;
}

/** Where the chunks of a stored blob lie, computed from its size alone. */
export interface BlobLayout {
  readonly chunkBytes: number;
  readonly chunkCount: number;
  readonly plaintextBytes: number;
}

/** The layout of a blob file of `fileBytes`, or DataLossError when no valid blob has that size. */
export function blobLayout(fileBytes: number, chunkBytes: number, what: string): BlobLayout {
  const body = fileBytes - BLOB_HEADER_BYTES;
  const record = chunkBytes + TAG_BYTES;
  const chunkCount = Math.ceil(body / record);
  const lastRecord = body - (chunkCount - 1) * record;
  if (body < TAG_BYTES || lastRecord < TAG_BYTES) {
    throw new DataLossError(
      `${what} is ${fileBytes} bytes, which no complete blob is (truncated?)`,
    );
  }
  return { chunkBytes, chunkCount, plaintextBytes: body - chunkCount * TAG_BYTES };
}

/**
 * Decrypts and authenticates chunk `index` of a blob (`record` = ciphertext || tag) into a new
 * buffer; the caller may reuse `record` once this returns.
 * @throws DataLossError when it does not authenticate
 */
export function openChunk(
  key: ChunkKey,
  header: Buffer,
  index: number,
  last: boolean,
  record: Buffer,
  what: string,
): Buffer {
  if (record.length < TAG_BYTES) throw new DataLossError(`${what}: chunk ${index} is cut short`);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonceOf(index), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(aadOf(header, index, last));
    decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
    const plaintext = decipher.update(record.subarray(0, record.length - TAG_BYTES));
    decipher.final(); // throws unless the tag authenticates: plaintext is released only after
    return plaintext;
  } catch (error) {
    throw new DataLossError(
      `${what}: chunk ${index} fails authentication (the stored blob was altered or damaged)`,
      { cause: error },
    );
  }
}
