import { webcrypto } from 'node:crypto';
import { DataLossError } from '@verdict/errors';

/**
 * Encrypted blob format (see docs/registry.md):
 *
 *   header := "VRBLOB" version:u8(1) 0:u8 chunkBytes:u32be 0:u32be        16 bytes
 *   chunk  := AES-256-GCM(ciphertext of <= chunkBytes plaintext bytes) tag(16)
 *
 * Every chunk but the last holds exactly `chunkBytes` plaintext bytes. The nonce of chunk i is
 * 4 zero bytes then i as u64 big-endian: unique because each blob has its own data key. The
 * additional data of chunk i is header || i:u64be || last:u8, so a reordered, truncated or
 * extended blob fails authentication.
 *
 * Sealing and opening go through WebCrypto, whose AES-GCM jobs run on libuv's thread pool: the
 * event loop keeps receiving and sending while chunks are encrypted, and several chunks can be
 * in the works at once.
 */
export const BLOB_HEADER_BYTES = 16;
/** GCM tag length, given explicitly to every seal and open: a shorter tag is never accepted. */
export const TAG_BYTES = 16;
const MAGIC = Buffer.from('VRBLOB', 'latin1');
const FORMAT_VERSION = 1;

/** The 16-byte header of a blob with this chunk size. */
export function blobHeader(chunkBytes: number): Buffer {
  const header = Buffer.alloc(BLOB_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[6] = FORMAT_VERSION;
  header.writeUInt32BE(chunkBytes, 8);
  return header;
}

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

function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

function aadOf(header: Buffer, index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(header.length + 9);
  header.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), header.length);
  aad[header.length + 8] = last ? 1 : 0;
  return aad;
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

/** A blob's data key, imported once for every chunk it seals or opens. */
export type ChunkKey = webcrypto.CryptoKey;

/** Imports a 32-byte data key for AES-256-GCM. */
export function importChunkKey(dataKey: Uint8Array): Promise<ChunkKey> {
  return webcrypto.subtle.importKey('raw', dataKey, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

function gcmParams(header: Buffer, index: number, last: boolean): webcrypto.AesGcmParams {
  return {
    name: 'AES-GCM',
    iv: nonceOf(index),
    additionalData: aadOf(header, index, last),
    tagLength: TAG_BYTES * 8,
  };
}

/**
 * Splits a stream of plaintext of unknown length into chunks and seals each as a record. It holds
 * back one chunk until it knows whether more follows, since the last chunk is marked as such.
 */
export class ChunkEncryptor {
  readonly header: Buffer;
  private readonly pending: Buffer;
  private fill = 0;
  private index = 0;

  constructor(
    private readonly key: ChunkKey,
    chunkBytes: number,
  ) {
    this.header = blobHeader(chunkBytes);
    this.pending = Buffer.allocUnsafe(chunkBytes);
  }

  /**
   * Takes more plaintext (copied: the caller may reuse `data`); returns the records it
   * completes, being sealed, to be written in the order given.
   */
  push(data: Uint8Array): Promise<Buffer>[] {
    const out: Promise<Buffer>[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.fill === this.pending.length) {
        out.push(this.seal(this.pending, false));
        this.fill = 0;
      }
      const n = Math.min(this.pending.length - this.fill, data.length - offset);
      this.pending.set(data.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
    }
    return out;
  }

  /** Seals what is held back as the last chunk (an empty one for an empty blob). */
  finish(): Promise<Buffer> {
    return this.seal(this.pending.subarray(0, this.fill), true);
  }

  /**
   * WebCrypto copies `plaintext` before `encrypt` returns (the job then runs on the thread
   * pool), so `pending` can be refilled at once: one chunk buffer serves the whole blob.
   */
  private seal(plaintext: Buffer, last: boolean): Promise<Buffer> {
    const params = gcmParams(this.header, this.index, last);
    this.index += 1;
    return webcrypto.subtle
      .encrypt(params, this.key, plaintext)
      .then((record) => Buffer.from(record));
  }
}

/**
 * Decrypts and authenticates chunk `index` of a blob (`record` = ciphertext || tag). `record`
 * is copied before this returns, so the caller may reuse it at once.
 * @throws DataLossError when it does not authenticate
 */
export async function openChunk(
  key: ChunkKey,
  header: Buffer,
  index: number,
  last: boolean,
  record: Buffer,
  what: string,
): Promise<Buffer> {
  if (record.length < TAG_BYTES) throw new DataLossError(`${what}: chunk ${index} is cut short`);
  try {
    return Buffer.from(await webcrypto.subtle.decrypt(gcmParams(header, index, last), key, record));
  } catch (error) {
    throw new DataLossError(
      `${what}: chunk ${index} fails authentication (the stored blob was altered or damaged)`,
      { cause: error },
    );
  }
}
