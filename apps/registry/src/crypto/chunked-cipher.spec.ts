import { randomBytes, webcrypto } from 'node:crypto';
import { DataLossError } from '@verdict/errors';
import { ChunkEncryptor, importChunkKey, type SealedRecord } from './chunk-sealing';
import { openChunk } from './chunked-cipher';

const CHUNK = 1000;

/** Seals `plaintext` fed in pieces of `piece` bytes through one reused buffer. */
function seal(dataKey: Buffer, plaintext: Buffer, piece: number) {
  const encryptor = new ChunkEncryptor(importChunkKey(dataKey), CHUNK);
  const reused = Buffer.alloc(piece);
  const sealed: SealedRecord[] = [];
  for (let at = 0; at < plaintext.length; at += piece) {
    const n = plaintext.copy(reused, 0, at, at + piece);
    sealed.push(...encryptor.push(reused.subarray(0, n)));
    reused.fill(0xee); // the encryptor must not depend on the caller's buffer after push
  }
  sealed.push(encryptor.finish());
  return { header: encryptor.header, records: sealed.map((parts) => Buffer.concat(parts)) };
}

describe('chunked AES-256-GCM', () => {
  const dataKey = randomBytes(32);
  const plaintext = randomBytes(3 * CHUNK + 123);

  it.each([1, 7, CHUNK, CHUNK + 1, 4096])(
    'opens what it sealed when fed %i bytes at a time from a reused buffer',
    (piece) => {
      const { header, records } = seal(dataKey, plaintext, piece);
      expect(records).toHaveLength(4);
      const key = importChunkKey(dataKey);
      const opened = records.map((record, i) =>
        openChunk(key, header, i, i === 3, record, 'test blob'),
      );
      expect(Buffer.concat(opened).equals(plaintext)).toBe(true);
    },
  );

  it('refuses a chunk out of place, a last chunk not marked last and a changed byte', () => {
    const { header, records } = seal(dataKey, plaintext, 500);
    const key = importChunkKey(dataKey);
    expect(() => openChunk(key, header, 1, false, records[0], 'b')).toThrow(DataLossError);
    expect(() => openChunk(key, header, 3, false, records[3], 'b')).toThrow(
      /chunk 3 fails authentication/,
    );
    const flipped = Buffer.from(records[2]);
    flipped[10] ^= 1;
    expect(() => openChunk(key, header, 2, false, flipped, 'b')).toThrow(DataLossError);
    expect(() => openChunk(key, header, 2, false, records[2].subarray(0, 1010), 'b')).toThrow(
      DataLossError,
    );
    expect(openChunk(key, header, 2, false, records[2], 'b')).toHaveLength(CHUNK);
  });

  it('seals an empty blob as one empty last chunk', () => {
    const { header, records } = seal(dataKey, Buffer.alloc(0), 10);
    expect(records).toHaveLength(1);
    expect(openChunk(importChunkKey(dataKey), header, 0, true, records[0], 'b')).toHaveLength(0);
  });

  it('keeps the stored format: records match WebCrypto AES-GCM with the documented nonce and AAD', async () => {
    // Blobs written before the move to Cipheriv were sealed through WebCrypto; both must stay
    // readable (docs/decisions.md#registry).
    const { header, records } = seal(dataKey, plaintext, CHUNK);
    const webKey = await webcrypto.subtle.importKey('raw', dataKey, 'AES-GCM', false, ['encrypt']);
    for (const [i, record] of records.entries()) {
      const last = i === records.length - 1;
      const iv = Buffer.alloc(12);
      iv.writeBigUInt64BE(BigInt(i), 4);
      const aad = Buffer.alloc(header.length + 9);
      header.copy(aad);
      aad.writeBigUInt64BE(BigInt(i), header.length);
      aad[header.length + 8] = last ? 1 : 0;
      const piece = plaintext.subarray(i * CHUNK, (i + 1) * CHUNK);
      const expected = await webcrypto.subtle.encrypt(
        { name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 },
        webKey,
        piece,
      );
      expect(record.equals(Buffer.from(expected))).toBe(true);
    }
  });
});
