/**
 * Turns one Append call's records into what the log needs, in one pass and one buffer: the
 * records checked against the limits and canonically encoded straight into the segment payload
 * framing (`u32 length | record bytes`, as {@link SegmentStore.append} takes it). Nothing per
 * record is allocated. Their leaf hashes are computed later, off this thread, from these bytes.
 */
import { encodeRecordInto, maxEncodedRecordBytes } from '@verdict/audit-client';
import type { auditV1 } from '@verdict/proto';
import { checkRecord, type RecordLimits } from './record-limits';

/** A call's records, encoded. */
export interface EncodedBatch {
  /** The records in payload framing, back to back. */
  bytes: Buffer;
  /** Record `i`'s frame (its length prefix) starts at `offsets[i]`; `offsets[count]` is the end. */
  offsets: Uint32Array;
}

const LENGTH_BYTES = 4;

// Encoding is synchronous, so every call can share one working buffer; each call copies out
// only the bytes it used.
let scratch = Buffer.allocUnsafe(64 * 1024);

/**
 * Checks and encodes `records`. Throws (InvalidArgumentError naming the first bad
 * record) before anything is returned, so a call is taken whole or not at all.
 */
export function encodeBatch(
  records: readonly auditV1.Record[],
  limits: RecordLimits,
): EncodedBatch {
  const offsets = new Uint32Array(records.length + 1);
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
    scratch.writeUInt32BE(end - start, at);
    at = end;
  }
  offsets[records.length] = at;
  const bytes = Buffer.allocUnsafe(at);
  scratch.copy(bytes, 0, 0, at);
  return { bytes, offsets };
}
