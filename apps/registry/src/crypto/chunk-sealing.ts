import { createCipheriv, createSecretKey, type KeyObject } from 'node:crypto';

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
 * This module seals and ./chunked-cipher opens. Sealing runs on the blob store's sealing thread
 * (../blob/sealing-thread.ts), so this file imports nothing from the workspace.
 *
 * Both sides use node:crypto's Cipheriv. WebCrypto would run the AES work on libuv's thread
 * pool, but it copies the input and hands a fresh output buffer back through a promise, which
 * costs several times the CPU in all; on a busy node that CPU is what limits transfers (figures:
 * docs/decisions.md#registry and docs/benchmarks.md#benchregistry).
 */
export const BLOB_HEADER_BYTES = 16;
/** GCM tag length, given explicitly to every seal and open: a shorter tag is never accepted. */
export const TAG_BYTES = 16;
export const MAGIC = Buffer.from('VRBLOB', 'latin1');
export const FORMAT_VERSION = 1;

/** The 16-byte header of a blob with this chunk size. */
export function blobHeader(chunkBytes: number): Buffer {
  const header = Buffer.alloc(BLOB_HEADER_BYTES);
  MAGIC.copy(header, 0);
  header[6] = FORMAT_VERSION;
  header.writeUInt32BE(chunkBytes, 8);
  return header;
}

/** The nonce of chunk `index`. */
export function nonceOf(index: number): Buffer {
  const nonce = Buffer.alloc(12);
  nonce.writeBigUInt64BE(BigInt(index), 4);
  return nonce;
}

/** The additional data of chunk `index`. */
export function aadOf(header: Buffer, index: number, last: boolean): Buffer {
  const aad = Buffer.alloc(header.length + 9);
  header.copy(aad, 0);
  aad.writeBigUInt64BE(BigInt(index), header.length);
  aad[header.length + 8] = last ? 1 : 0;
  return aad;
}

/** A blob's data key, imported once for every chunk it seals or opens. */
export type ChunkKey = KeyObject;

/** Imports a 32-byte data key for AES-256-GCM. */
export function importChunkKey(dataKey: Uint8Array): ChunkKey {
  return createSecretKey(dataKey);
}

/** One sealed chunk as stored: its ciphertext, then its tag (written together with writev). */
export type SealedRecord = [ciphertext: Buffer, tag: Buffer];

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
   * completes, to be written in the order given.
   */
  push(data: Uint8Array): SealedRecord[] {
    const out: SealedRecord[] = [];
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
  finish(): SealedRecord {
    return this.seal(this.pending.subarray(0, this.fill), true);
  }

  /** Sealing is done when this returns, so one `pending` buffer serves the whole blob. */
  private seal(plaintext: Buffer, last: boolean): SealedRecord {
    const cipher = createCipheriv('aes-256-gcm', this.key, nonceOf(this.index), {
      authTagLength: TAG_BYTES,
    });
    cipher.setAAD(aadOf(this.header, this.index, last));
    this.index += 1;
    const ciphertext = cipher.update(plaintext);
    cipher.final();
    return [ciphertext, cipher.getAuthTag()];
  }
}
