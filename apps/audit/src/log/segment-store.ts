/**
 * Append-only segment files. Each append is one frame holding a whole batch:
 * `"VAL1" | u32 record count | u32 payload bytes | u32 CRC-32 of payload | payload`, the payload
 * being `u32 length | record bytes` per record. A batch is durable once `append` resolves
 * (fdatasync). Opening the store recovers from a crash: an incomplete or corrupt last frame is
 * a torn write that was never acknowledged and is cut off; a corrupt frame anywhere else is
 * damage, and opening fails with DataLossError rather than guess.
 */
import { mkdir, open, readdir, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { DataLossError } from '@verdict/errors';

const MAGIC = 0x56414c31; // "VAL1"
const FRAME_HEADER_BYTES = 16;
const SEGMENT_SUFFIX = '.seg';

export interface SegmentStoreOptions {
  /** Directory of the segment files; created if missing. */
  dir: string;
  /** A new segment starts once the current one would grow past this. @default 64 MiB */
  maxSegmentBytes?: number;
  /** Called for each stored record, in index order, while opening. */
  onRecovered?: (index: number, bytes: Buffer) => void;
}

/** What opening found: records kept, and bytes cut from a torn tail. */
export interface RecoveryReport {
  records: number;
  truncatedBytes: number;
}

export interface SegmentStore {
  /** Records stored. */
  readonly count: number;
  readonly recovery: RecoveryReport;
  /**
   * Appends one frame whose payload is `parts` back to back, each part holding whole records
   * in payload framing (`u32 length | record bytes`), and fsyncs; resolves once they are
   * durable. Throws RangeError, writing nothing, if the parts are not whole records.
   */
  append(parts: readonly Buffer[]): Promise<void>;
  /** Record bytes of indexes `start` (inclusive) to `end` (exclusive), as stored on disk now. */
  read(start: number, end: number): Promise<Buffer[]>;
  close(): Promise<void>;
}

interface Segment {
  firstIndex: number;
  handle: FileHandle;
  bytes: number;
}

/** A growable numeric column, so that a million records cost bytes, not objects. */
class Column {
  private data = new Float64Array(1024);
  length = 0;
  push(value: number): void {
    if (this.length === this.data.length) {
      const grown = new Float64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    this.data[this.length++] = value;
  }
  at(index: number): number {
    return this.data[index];
  }
}

/** Opens the segment files under `dir`, recovering them as described above. */
export async function openSegmentStore(options: SegmentStoreOptions): Promise<SegmentStore> {
  const maxSegmentBytes = options.maxSegmentBytes ?? 64 * 1024 * 1024;
  await mkdir(options.dir, { recursive: true });
  const names = (await readdir(options.dir)).filter((name) => name.endsWith(SEGMENT_SUFFIX)).sort();
  const segments: Segment[] = [];
  const offsets = new Column();
  const lengths = new Column();
  let truncatedBytes = 0;

  for (const [position, name] of names.entries()) {
    const handle = await open(join(options.dir, name), 'r+');
    const firstIndex = Number(name.slice(0, -SEGMENT_SUFFIX.length));
    if (firstIndex !== offsets.length) {
      await handle.close();
      throw new DataLossError(`segment ${name} should start at index ${offsets.length}`);
    }
    const { size } = await handle.stat();
    const content = Buffer.alloc(size);
    if (size > 0) await handle.read(content, 0, size, 0);
    const isLast = position === names.length - 1;
    let at = 0;
    while (at < size) {
      const problem = frameProblem(content, at);
      if (problem !== undefined) {
        if (!isLast || !problem.tail) {
          await handle.close();
          throw new DataLossError(`segment ${name} is damaged at byte ${at}: ${problem.reason}`);
        }
        truncatedBytes += size - at;
        await handle.truncate(at);
        await handle.datasync();
        break;
      }
      const count = content.readUInt32BE(at + 4);
      const end = at + FRAME_HEADER_BYTES + content.readUInt32BE(at + 8);
      let cursor = at + FRAME_HEADER_BYTES;
      for (let i = 0; i < count; i++) {
        const length = content.readUInt32BE(cursor);
        options.onRecovered?.(offsets.length, content.subarray(cursor + 4, cursor + 4 + length));
        offsets.push(cursor + 4);
        lengths.push(length);
        cursor += 4 + length;
      }
      at = end;
    }
    segments.push({ firstIndex, handle, bytes: at });
  }

  const segmentOf = (index: number): number => {
    let low = 0;
    let high = segments.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if (segments[middle].firstIndex <= index) low = middle;
      else high = middle - 1;
    }
    return low;
  };

  async function startSegment(): Promise<Segment> {
    const name = `${String(offsets.length).padStart(20, '0')}${SEGMENT_SUFFIX}`;
    const handle = await open(join(options.dir, name), 'wx+');
    const dir = await open(options.dir, 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
    const segment = { firstIndex: offsets.length, handle, bytes: 0 };
    segments.push(segment);
    return segment;
  }

  return {
    get count() {
      return offsets.length;
    },
    recovery: { records: offsets.length, truncatedBytes },
    async append(parts) {
      // Each record's start in the payload and length: checked before anything is written.
      const starts: number[] = [];
      const recordLengths: number[] = [];
      let payloadBytes = 0;
      let crc = 0;
      for (const part of parts) {
        let at = 0;
        while (at + 4 <= part.length) {
          const length = part.readUInt32BE(at);
          starts.push(payloadBytes + at + 4);
          recordLengths.push(length);
          at += 4 + length;
        }
        if (at !== part.length)
          throw new RangeError('segment payload parts must hold whole length-prefixed records');
        crc = crc32(part, crc);
        payloadBytes += part.length;
      }
      if (starts.length === 0) return;
      const header = Buffer.allocUnsafe(FRAME_HEADER_BYTES);
      header.writeUInt32BE(MAGIC, 0);
      header.writeUInt32BE(starts.length, 4);
      header.writeUInt32BE(payloadBytes, 8);
      header.writeUInt32BE(crc, 12);
      const frameBytes = FRAME_HEADER_BYTES + payloadBytes;
      let segment = segments.at(-1);
      if (
        segment === undefined ||
        (segment.bytes > 0 && segment.bytes + frameBytes > maxSegmentBytes)
      ) {
        segment = await startSegment();
      }
      const base = segment.bytes;
      // One writev: the parts go to the kernel as they are, never concatenated here.
      const { bytesWritten } = await segment.handle.writev([header, ...parts], base);
      if (bytesWritten !== frameBytes)
        throw new Error(`short write: ${bytesWritten} of ${frameBytes} bytes`);
      await segment.handle.datasync();
      segment.bytes += frameBytes;
      for (let i = 0; i < starts.length; i++) {
        offsets.push(base + FRAME_HEADER_BYTES + starts[i]);
        lengths.push(recordLengths[i]);
      }
    },
    async read(start, end) {
      const out: Buffer[] = [];
      let index = start;
      while (index < end) {
        const segmentIndex = segmentOf(index);
        const segment = segments[segmentIndex];
        const segmentEnd = Math.min(end, segments[segmentIndex + 1]?.firstIndex ?? offsets.length);
        const from = offsets.at(index);
        const to = offsets.at(segmentEnd - 1) + lengths.at(segmentEnd - 1);
        const chunk = Buffer.alloc(to - from);
        await segment.handle.read(chunk, 0, chunk.length, from);
        for (; index < segmentEnd; index++) {
          const at = offsets.at(index) - from;
          out.push(chunk.subarray(at, at + lengths.at(index)));
        }
      }
      return out;
    },
    async close() {
      await Promise.all(segments.map((segment) => segment.handle.close()));
    },
  };
}

/** Why the frame at `at` is not a complete, intact frame; `tail` when a torn write explains it. */
function frameProblem(content: Buffer, at: number): { reason: string; tail: boolean } | undefined {
  if (at + FRAME_HEADER_BYTES > content.length)
    return { reason: 'incomplete frame header', tail: true };
  if (content.readUInt32BE(at) !== MAGIC)
    return { reason: 'bad frame magic', tail: allZero(content, at) };
  const count = content.readUInt32BE(at + 4);
  const payloadBytes = content.readUInt32BE(at + 8);
  const end = at + FRAME_HEADER_BYTES + payloadBytes;
  if (end > content.length) return { reason: 'incomplete frame', tail: true };
  if (crc32(content.subarray(at + FRAME_HEADER_BYTES, end)) !== content.readUInt32BE(at + 12)) {
    return { reason: 'frame checksum mismatch', tail: end === content.length };
  }
  let cursor = at + FRAME_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (cursor + 4 > end) return { reason: 'record lengths overrun the frame', tail: false };
    cursor += 4 + content.readUInt32BE(cursor);
  }
  return cursor === end
    ? undefined
    : { reason: 'record lengths do not fill the frame', tail: false };
}

/** A file extended but never written reads as zeros. */
function allZero(content: Buffer, at: number): boolean {
  for (let i = at; i < content.length; i++) if (content[i] !== 0) return false;
  return true;
}
