import { randomBytes } from 'node:crypto';
import { DataLossError } from '@verdict/errors';
import { ChunkEncryptor, importChunkKey, openChunk } from './chunked-cipher';

const CHUNK = 1000;

/** Seals `plaintext` fed in pieces of `piece` bytes through one reused buffer. */
async function seal(dataKey: Buffer, plaintext: Buffer, piece: number) {
  const encryptor = new ChunkEncryptor(await importChunkKey(dataKey), CHUNK);
  const reused = Buffer.alloc(piece);
  const sealing: Promise<Buffer>[] = [];
  for (let at = 0; at < plaintext.length; at += piece) {
    const n = plaintext.copy(reused, 0, at, at + piece);
    sealing.push(...encryptor.push(reused.subarray(0, n)));
    reused.fill(0xee); // the encryptor must not depend on the caller's buffer after push
  }
  sealing.push(encryptor.finish());
  return { header: encryptor.header, records: await Promise.all(sealing) };
}

describe('chunked AES-256-GCM', () => {
  const dataKey = randomBytes(32);
  const plaintext = randomBytes(3 * CHUNK + 123);

  it.each([1, 7, CHUNK, CHUNK + 1, 4096])(
    'opens what it sealed when fed %i bytes at a time from a reused buffer',
    async (piece) => {
      const { header, records } = await seal(dataKey, plaintext, piece);
      expect(records).toHaveLength(4);
      const key = await importChunkKey(dataKey);
      const opened = await Promise.all(
        records.map((record, i) => openChunk(key, header, i, i === 3, record, 'test blob')),
      );
      expect(Buffer.concat(opened).equals(plaintext)).toBe(true);
    },
  );

  it('refuses a chunk out of place, a last chunk not marked last and a changed byte', async () => {
    const { header, records } = await seal(dataKey, plaintext, 500);
    const key = await importChunkKey(dataKey);
    await expect(openChunk(key, header, 1, false, records[0], 'b')).rejects.toThrow(DataLossError);
    await expect(openChunk(key, header, 3, false, records[3], 'b')).rejects.toThrow(
      /chunk 3 fails authentication/,
    );
    const flipped = Buffer.from(records[2]);
    flipped[10] ^= 1;
    await expect(openChunk(key, header, 2, false, flipped, 'b')).rejects.toThrow(DataLossError);
    await expect(openChunk(key, header, 2, false, records[2], 'b')).resolves.toHaveLength(CHUNK);
  });

  it('seals an empty blob as one empty last chunk', async () => {
    const { header, records } = await seal(dataKey, Buffer.alloc(0), 10);
    expect(records).toHaveLength(1);
    const key = await importChunkKey(dataKey);
    await expect(openChunk(key, header, 0, true, records[0], 'b')).resolves.toHaveLength(0);
  });
});
