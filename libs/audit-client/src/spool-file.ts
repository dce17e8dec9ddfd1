import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { ResourceExhaustedError } from '@verdict/errors';

/** Frame header: u32 payload length, u32 CRC-32 of the payload. */
const FRAME_HEADER_BYTES = 8;

/** A page of spooled entries and the offset after them. */
export interface SpoolPage {
  entries: Buffer[];
  nextOffset: number;
}

/**
 * An append-only, size-bounded file of length-prefixed, checksummed entries. Opening it cuts a
 * torn tail left by a crash; appends are durable (fdatasync) before they resolve.
 */
export interface SpoolFile {
  /** Bytes in the file. */
  readonly bytes: number;
  /** Entries in the file. */
  readonly entries: number;
  readonly maxBytes: number;
  /** Appends entries durably, or throws ResourceExhaustedError (appending nothing) past the bound. */
  append(entries: readonly Buffer[]): Promise<void>;
  /** Reads up to `maxEntries` entries starting at byte `offset`. */
  read(offset: number, maxEntries: number): Promise<SpoolPage>;
  /** Empties the file. */
  clear(): Promise<void>;
  close(): Promise<void>;
}

/** Opens (creating if missing) a spool file and recovers it to its last complete entry. */
export async function openSpoolFile(path: string, maxBytes: number): Promise<SpoolFile> {
  await mkdir(dirname(path), { recursive: true });
  const handle = await open(path, 'a+');
  let { bytes, entries } = await recover(handle);

  return {
    get bytes() {
      return bytes;
    },
    get entries() {
      return entries;
    },
    maxBytes,
    async append(items) {
      const frames = items.map(frame);
      const size = frames.reduce((sum, f) => sum + f.length, 0);
      if (bytes + size > maxBytes) {
        throw new ResourceExhaustedError(
          `audit spool ${path} would grow past its bound of ${maxBytes} bytes (holds ${bytes})`,
        );
      }
      await handle.write(Buffer.concat(frames, size), 0, size, bytes);
      await handle.datasync();
      bytes += size;
      entries += frames.length;
    },
    async read(offset, maxEntries) {
      const page: Buffer[] = [];
      let at = offset;
      const header = Buffer.alloc(FRAME_HEADER_BYTES);
      while (page.length < maxEntries && at < bytes) {
        await handle.read(header, 0, FRAME_HEADER_BYTES, at);
        const payload = Buffer.alloc(header.readUInt32BE(0));
        await handle.read(payload, 0, payload.length, at + FRAME_HEADER_BYTES);
        page.push(payload);
        at += FRAME_HEADER_BYTES + payload.length;
      }
      return { entries: page, nextOffset: at };
    },
    async clear() {
      await handle.truncate(0);
      await handle.datasync();
      bytes = 0;
      entries = 0;
    },
    close: () => handle.close(),
  };
}

function frame(entry: Buffer): Buffer {
  const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
  header.writeUInt32BE(entry.length, 0);
  header.writeUInt32BE(crc32(entry), 4);
  return Buffer.concat([header, entry]);
}

/** Returns the length and entry count of the valid prefix, truncating anything after it. */
async function recover(handle: FileHandle): Promise<{ bytes: number; entries: number }> {
  const { size } = await handle.stat();
  const content = Buffer.alloc(size);
  if (size > 0) await handle.read(content, 0, size, 0);
  let at = 0;
  let entries = 0;
  while (at + FRAME_HEADER_BYTES <= size) {
    const length = content.readUInt32BE(at);
    const end = at + FRAME_HEADER_BYTES + length;
    if (
      end > size ||
      crc32(content.subarray(at + FRAME_HEADER_BYTES, end)) !== content.readUInt32BE(at + 4)
    )
      break;
    at = end;
    entries += 1;
  }
  if (at !== size) {
    await handle.truncate(at);
    await handle.datasync();
  }
  return { bytes: at, entries };
}
