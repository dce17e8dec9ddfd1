import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createSealingThread, type SealingThread } from './sealing-thread';

const CHUNK = 1000;

describe('sealing thread', () => {
  let dir: string;
  let sealing: SealingThread;
  const dataKey = randomBytes(32);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-sealing-'));
    sealing = createSealingThread();
  });

  afterAll(async () => {
    await sealing.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('seals past the point where the worker collects its garbage (every 4 MiB)', async () => {
    const fd = openSync(join(dir, 'large'), 'w');
    try {
      const upload = await sealing.open(fd, dataKey, 64 * 1024);
      const data = randomBytes(6 * 1024 * 1024);
      for (let at = 0; at < data.length; at += 256 * 1024) {
        await upload.write(data.subarray(at, at + 256 * 1024));
      }
      await expect(upload.finish()).resolves.toEqual({
        sha256: createHash('sha256').update(data).digest('hex'),
        sizeBytes: data.length,
      });
      await upload.close();
    } finally {
      closeSync(fd);
    }
  });

  it('refuses a descriptor it cannot write, naming the error', async () => {
    await writeFile(join(dir, 'read-only'), '');
    const fd = openSync(join(dir, 'read-only'), 'r');
    try {
      await expect(sealing.open(fd, dataKey, CHUNK)).rejects.toThrow(
        /^sealing the upload failed: EBADF/,
      );
    } finally {
      closeSync(fd);
    }
  });

  it('reports a write that fails from finish, and every later job of that upload fails too', async () => {
    const fd = openSync(join(dir, 'closed-under-it'), 'w');
    const upload = await sealing.open(fd, dataKey, CHUNK);
    closeSync(fd);
    await upload.write(randomBytes(2 * CHUNK));
    await expect(upload.finish()).rejects.toThrow(/^sealing the upload failed: EBADF/);
    await expect(upload.finish()).rejects.toThrow(/EBADF/);
    await expect(upload.close()).resolves.toBeUndefined();
  });

  it('fails the uploads still open when it is closed, and starts afresh for the next one', async () => {
    const fd = openSync(join(dir, 'open-at-close'), 'w');
    try {
      const upload = await sealing.open(fd, dataKey, CHUNK);
      await sealing.close();
      await expect(upload.finish()).rejects.toThrow('the blob sealing thread was closed');
      const again = await sealing.open(fd, dataKey, CHUNK);
      await again.write(randomBytes(10));
      await expect(again.finish()).resolves.toMatchObject({ sizeBytes: 10 });
      await again.close();
    } finally {
      closeSync(fd);
    }
  });
});
