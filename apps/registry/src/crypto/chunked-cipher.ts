import { createCipheriv, createDecipheriv } from 'node:crypto';
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
 */
export const BLOB_HEADER_BYTES = 16;
/** GCM tag length; always passed to the decipher (Node accepts truncated tags otherwise). */
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

/**
 * Encrypts a stream of plaintext of unknown length into chunk records. It holds back one chunk
 * until it knows whether more follows, since the last chunk is marked as such.
 */
export class ChunkEncryptor {
  readonly header: Buffer;
  private readonly pending: Buffer;
  private fill = 0;
  private index = 0;

  constructor(
    private readonly dataKey: Uint8Array,
    private readonly chunkBytes: number,
  ) {
    this.header = blobHeader(chunkBytes);
    this.pending = Buffer.allocUnsafe(chunkBytes);
  }

  /** Takes more plaintext; returns the records completed by it, to be written in order. */
  push(data: Uint8Array): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    while (offset < data.length) {
      if (this.fill === this.chunkBytes) {
        out.push(this.seal(this.pending, false));
        this.fill = 0;
      }
      const n = Math.min(this.chunkBytes - this.fill, data.length - offset);
      this.pending.set(data.subarray(offset, offset + n), this.fill);
      this.fill += n;
      offset += n;
    }
    return out;
  }

  /** Seals what is held back as the last chunk (an empty one for an empty blob). */
  finish(): Buffer {
    return this.seal(this.pending.subarray(0, this.fill), true);
  }

  private seal(plaintext: Buffer, last: boolean): Buffer {
    const cipher = createCipheriv('aes-256-gcm', this.dataKey, nonceOf(this.index), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(aadOf(this.header, this.index, last));
    const body = cipher.update(plaintext);
    cipher.final();
    const record = Buffer.concat([body, cipher.getAuthTag()]);
    this.index += 1;
    return record;
  }
}

/**
 * Decrypts and authenticates chunk `index` of a blob (`record` = ciphertext || tag).
 * @throws DataLossError when it does not authenticate
 */
export function openChunk(
  dataKey: Uint8Array,
  header: Buffer,
  index: number,
  last: boolean,
  record: Buffer,
  what: string,
): Buffer {
  if (record.length < TAG_BYTES) throw new DataLossError(`${what}: chunk ${index} is cut short`);
  const decipher = createDecipheriv('aes-256-gcm', dataKey, nonceOf(index), {
    authTagLength: TAG_BYTES,
  });
  decipher.setAAD(aadOf(header, index, last));
  decipher.setAuthTag(record.subarray(record.length - TAG_BYTES));
  try {
    const plaintext = decipher.update(record.subarray(0, record.length - TAG_BYTES));
    decipher.final();
    return plaintext;
  } catch (error) {
    throw new DataLossError(
      `${what}: chunk ${index} fails authentication (the stored blob was altered or damaged)`,
      { cause: error },
    );
  }
}
