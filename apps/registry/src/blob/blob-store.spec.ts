import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, open, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataLossError } from '@verdict/errors';
import { createBlobStore, type BlobStore } from './blob-store';

const CHUNK = 1000;

async function collect(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

describe('blob store', () => {
  let dir: string;
  let blobs: BlobStore;
  const dataKey = randomBytes(32);
  // Many more chunks than the reader keeps in flight, so its read buffers are reused.
  const plaintext = randomBytes(40 * CHUNK + 321);
  const sha256 = createHash('sha256').update(plaintext).digest('hex');

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-blob-store-'));
    blobs = createBlobStore({ dir, chunkBytes: CHUNK });
    await blobs.init();
    const writer = await blobs.create(dataKey);
    // Pieces that straddle chunk boundaries, from one reused buffer.
    const piece = Buffer.alloc(777);
    for (let at = 0; at < plaintext.length; at += piece.length) {
      const n = plaintext.copy(piece, 0, at, at + piece.length);
      await writer.write(piece.subarray(0, n));
      piece.fill(0);
    }
    expect(await writer.finish()).toEqual({ sha256, sizeBytes: plaintext.length });
    await writer.commit();
  });

  afterAll(async () => {
    await blobs.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('reads back every byte, from the start and from offsets inside and at chunk edges', async () => {
    for (const offset of [0, 1, CHUNK - 1, CHUNK, 17 * CHUNK + 5, plaintext.length - 1]) {
      const reader = await blobs.open(sha256, dataKey);
      expect((await collect(reader.read(offset))).equals(plaintext.subarray(offset))).toBe(true);
    }
    const reader = await blobs.open(sha256, dataKey);
    expect(await collect(reader.read(plaintext.length))).toHaveLength(0);
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });

  it('stops with DataLossError at a chunk whose stored bytes were changed', async () => {
    const handle = await open(blobs.pathOf(sha256), 'r+');
    const at = 16 + 25 * (CHUNK + 16) + 10;
    const byte = Buffer.alloc(1);
    await handle.read(byte, 0, 1, at);
    await handle.write(Buffer.from([byte[0] ^ 0xff]), 0, 1, at);
    await handle.close();
    const reader = await blobs.open(sha256, dataKey);
    const received: Buffer[] = [];
    await expect(
      (async () => {
        for await (const chunk of reader.read(0)) received.push(Buffer.from(chunk));
      })(),
    ).rejects.toThrow(DataLossError);
    // Everything before the damaged chunk was handed out intact, nothing after it.
    expect(Buffer.concat(received).equals(plaintext.subarray(0, 25 * CHUNK))).toBe(true);
  });

  it('seals uploads interleaved on the one sealing thread, each into its own blob', async () => {
    const texts = [randomBytes(7 * CHUNK + 1), randomBytes(9 * CHUNK)];
    const writers = await Promise.all(texts.map(() => blobs.create(dataKey)));
    // Pieces of 2.5 chunks: each write takes several slots of the sealing thread.
    const piece = Math.floor(2.5 * CHUNK);
    for (let at = 0; at < 9 * CHUNK; at += piece) {
      await Promise.all(
        writers.map((writer, i) => writer.write(texts[i].subarray(at, at + piece))),
      );
    }
    for (const [i, writer] of writers.entries()) {
      const digest = createHash('sha256').update(texts[i]).digest('hex');
      expect(await writer.finish()).toEqual({ sha256: digest, sizeBytes: texts[i].length });
      await writer.commit();
      const reader = await blobs.open(digest, dataKey);
      expect((await collect(reader.read(0))).equals(texts[i])).toBe(true);
    }
  });

  it('leaves no file behind for an upload aborted halfway', async () => {
    const writer = await blobs.create(dataKey);
    await writer.write(randomBytes(3 * CHUNK));
    await writer.abort();
    expect(await readdir(join(dir, 'tmp'))).toEqual([]);
  });
});
