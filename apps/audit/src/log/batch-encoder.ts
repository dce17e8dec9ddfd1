/**
 * Turns one Append call's records into what the log needs, in one pass and one buffer: the
 * records checked against the limits, canonically encoded straight into the segment payload
 * framing (`u32 length | record bytes`, as {@link SegmentStore.append} takes it), and each
 * record's RFC 9162 leaf hash. Nothing per record is allocated but its leaf hash.
 */
import { hash } from 'node:crypto';
import { encodeRecordInto, maxEncodedRecordBytes } from '@verdict/audit-client';
import type { auditV1 } from '@verdict/proto';
import { checkRecord, type RecordLimits } from './record-limits';

/** A call's records, encoded and hashed. */
export interface EncodedBatch {
  /** The records in payload framing, back to back. */
  bytes: Buffer;
  /** Record `i`'s frame (its length prefix) starts at `offsets[i]`; `offsets[count]` is the end. */
  offsets: Uint32Array;
  /** Record `i`'s leaf hash, SHA-256(0x00 || record bytes). */
  hashes: Buffer[];
}

const LENGTH_BYTES = 4;

// Encoding is synchronous, so every call can share one working buffer; each call copies out
// only the bytes it used.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Checks, encodes and hashes `records`. Throws (InvalidArgumentError naming the first bad
 * record) before anything is returned, so a call is taken whole or not at all.
 */
export function encodeBatch(
  records: readonly auditV1.Record[],
  limits: RecordLimits,
): EncodedBatch {
  const offsets = new Uint32Array(records.length + 1);
  const hashes: Buffer[] = new Array<Buffer>(records.length);
  let at = 0;
  for (let i = 0; i < records.length; i++) {
    const record = records[i];
    checkRecord(record, i, limits);
    const needed = at + LENGTH_BYTES + maxEncodedRecordBytes(record);
    if (needed > scratch.length) {
      const grown = Buffer.allocUnsafe(Math.max(needed, scratch.length * 2));
      scratch.copy(grown, 0, 0, at);
      scratch = grown;
    }
    offsets[i] = at;
    const start = at + LENGTH_BYTES;
    const end = encodeRecordInto(record, scratch, start);
    // The leaf hash covers 0x00 || record bytes: borrow the length prefix's last byte for the
    // 0x00, hash in place without copying the record, then write the real length over it.
    scratch[start - 1] = 0x00;
    hashes[i] = hash('sha256', scratch.subarray(start - 1, end), 'buffer');
    scratch.writeUInt32BE(end - start, at);
    at = end;
  }
  offsets[records.length] = at;
  const bytes = Buffer.allocUnsafe(at);
  scratch.copy(bytes, 0, 0, at);
  return { bytes, offsets, hashes };
}
