import { crc32 } from 'node:zlib';
import type { Mutation } from './mutation';

/**
 * Binary format of the memory store's append-only log (see the package README):
 *
 *   file   := header record*
 *   header := "VDSTORE" 0x01                       (8 bytes: magic and format version)
 *   record := length:u32le crc:u32le payload       (length and CRC-32 of the payload)
 *   payload:= kind:u8 field*
 *
 * Fields are strings (u32le byte length + UTF-8), byte arrays (u32le length + bytes) and
 * numbers (f64le). A record is valid only if it is complete and its CRC matches, so a write
 * torn by a crash is recognised and dropped on open.
 */
export const LOG_HEADER = Buffer.from('VDSTORE\x01', 'latin1');

/** Bytes before a record's payload: length and CRC. */
export const RECORD_PREFIX_BYTES = 8;

const KIND = {
  put: 1,
  delete: 2,
  counter: 3,
  sortedAdd: 4,
  sortedRemove: 5,
  append: 6,
  offset: 7,
} as const;

type Field =
  { readonly text: string } | { readonly bytes: Uint8Array } | { readonly number: number };

/** Encodes one mutation as a complete record (prefix and payload). */
export function encodeRecord(mutation: Mutation): Buffer {
  const fields = fieldsOf(mutation);
  let size = RECORD_PREFIX_BYTES + 1;
  for (const field of fields) {
    size +=
      'number' in field
        ? 8
        : 4 + ('text' in field ? Buffer.byteLength(field.text) : field.bytes.byteLength);
  }
  const record = Buffer.allocUnsafe(size);
  let at = RECORD_PREFIX_BYTES;
  record[at++] = KIND[mutation.kind];
  for (const field of fields) {
    if ('number' in field) {
      at = record.writeDoubleLE(field.number, at);
    } else if ('text' in field) {
      const length = record.write(field.text, at + 4, 'utf8');
      record.writeUInt32LE(length, at);
      at += 4 + length;
    } else {
      record.writeUInt32LE(field.bytes.byteLength, at);
      record.set(field.bytes, at + 4);
      at += 4 + field.bytes.byteLength;
    }
  }
  const payload = record.subarray(RECORD_PREFIX_BYTES);
  record.writeUInt32LE(payload.byteLength, 0);
  record.writeUInt32LE(crc32(payload), 4);
  return record;
}

function fieldsOf(mutation: Mutation): Field[] {
  switch (mutation.kind) {
    case 'put':
      return [{ text: mutation.key }, { number: mutation.version }, { bytes: mutation.value }];
    case 'delete':
      return [{ text: mutation.key }];
    case 'counter':
      return [{ text: mutation.key }, { number: mutation.value }];
    case 'sortedAdd':
      return [{ text: mutation.set }, { text: mutation.member }, { number: mutation.score }];
    case 'sortedRemove':
      return [{ text: mutation.set }, { text: mutation.member }];
    case 'append':
      return [{ text: mutation.stream }, { number: mutation.sequence }, { bytes: mutation.entry }];
    case 'offset':
      return [{ text: mutation.stream }, { text: mutation.consumer }, { text: mutation.offset }];
  }
}

/** The outcome of reading a log: the valid records and where they end. */
export interface DecodedLog {
  /** Length of the valid part (header plus whole, intact records). */
  readonly validBytes: number;
  /** Why reading stopped before the end of the data, if it did. */
  readonly problem?: string;
}

/**
 * Decodes the records of a log (header included), calling `onMutation` for each intact one in
 * order, and stops at the first incomplete or corrupt record.
 * @throws Error when the data does not start with the header (not a store log).
 */
export function decodeLog(data: Buffer, onMutation: (mutation: Mutation) => void): DecodedLog {
  if (
    data.byteLength < LOG_HEADER.byteLength ||
    !data.subarray(0, LOG_HEADER.byteLength).equals(LOG_HEADER)
  ) {
    throw new Error('not a Verdict store log (bad header)');
  }
  let at = LOG_HEADER.byteLength;
  while (at < data.byteLength) {
    if (data.byteLength - at < RECORD_PREFIX_BYTES) {
      return { validBytes: at, problem: `incomplete record prefix at byte ${at}` };
    }
    const length = data.readUInt32LE(at);
    const end = at + RECORD_PREFIX_BYTES + length;
    if (end > data.byteLength) {
      return {
        validBytes: at,
        problem: `record at byte ${at} needs ${length} payload bytes, file ends first`,
      };
    }
    const payload = data.subarray(at + RECORD_PREFIX_BYTES, end);
    if (crc32(payload) !== data.readUInt32LE(at + 4)) {
      return { validBytes: at, problem: `checksum mismatch in record at byte ${at}` };
    }
    let mutation: Mutation;
    try {
      mutation = decodePayload(payload);
    } catch (error) {
      return {
        validBytes: at,
        problem: `malformed record at byte ${at}: ${(error as Error).message}`,
      };
    }
    onMutation(mutation);
    at = end;
  }
  return { validBytes: at };
}

function decodePayload(payload: Buffer): Mutation {
  const reader = new PayloadReader(payload);
  const kind = reader.byte();
  let mutation: Mutation;
  switch (kind) {
    case KIND.put:
      mutation = {
        kind: 'put',
        key: reader.text(),
        version: reader.number(),
        value: reader.bytes(),
      };
      break;
    case KIND.delete:
      mutation = { kind: 'delete', key: reader.text() };
      break;
    case KIND.counter:
      mutation = { kind: 'counter', key: reader.text(), value: reader.number() };
      break;
    case KIND.sortedAdd:
      mutation = {
        kind: 'sortedAdd',
        set: reader.text(),
        member: reader.text(),
        score: reader.number(),
      };
      break;
    case KIND.sortedRemove:
      mutation = { kind: 'sortedRemove', set: reader.text(), member: reader.text() };
      break;
    case KIND.append:
      mutation = {
        kind: 'append',
        stream: reader.text(),
        sequence: reader.number(),
        entry: reader.bytes(),
      };
      break;
    case KIND.offset:
      mutation = {
        kind: 'offset',
        stream: reader.text(),
        consumer: reader.text(),
        offset: reader.text(),
      };
      break;
    default:
      throw new Error(`unknown record kind ${kind}`);
  }
  reader.expectEnd();
  return mutation;
}

class PayloadReader {
  private at = 0;

  constructor(private readonly payload: Buffer) {}

  byte(): number {
    this.need(1);
    return this.payload[this.at++]!;
  }

  number(): number {
    this.need(8);
    const value = this.payload.readDoubleLE(this.at);
    this.at += 8;
    return value;
  }

  text(): string {
    return this.bytes().toString('utf8');
  }

  bytes(): Buffer {
    this.need(4);
    const length = this.payload.readUInt32LE(this.at);
    this.at += 4;
    this.need(length);
    // A copy, so that the state does not pin the whole file buffer read at open.
    const bytes = Buffer.from(this.payload.subarray(this.at, this.at + length));
    this.at += length;
    return bytes;
  }

  expectEnd(): void {
    if (this.at !== this.payload.byteLength) {
      throw new Error(`${this.payload.byteLength - this.at} unexpected trailing bytes`);
    }
  }

  private need(count: number): void {
    if (this.payload.byteLength - this.at < count) {
      throw new Error('field runs past the end of the record');
    }
  }
}
