/**
 * The canonical byte encoding of an audit record: the bytes the Merkle tree hashes and the
 * segment files store. Deterministic by construction (fixed field order, lengths in front,
 * details sorted by key) and strict when decoding (anything but the canonical form is refused),
 * so that `encode(decode(bytes))` always gives back `bytes`.
 *
 * Layout, version 1 (integers big-endian, `str` = u32 length then UTF-8 bytes):
 * `u8 1 | str id | i64 seconds | u32 nanos | str actor | str action | str resource | u8 outcome |
 * str trace_id | u32 n | n x (str key | str value) | u8 has_serving | [str model | str version |
 * str experiment | str variant | u64 latency_us | i32 status_code | str input_sha256 |
 * u64 input_bytes | str unit_hash | str request_id]`
 */
import { create } from '@bufbuild/protobuf';
import { DataLossError, InvalidArgumentError } from '@verdict/errors';
import { auditV1 } from '@verdict/proto';

/** First byte of every record encoded by this version. */
export const RECORD_ENCODING_VERSION = 1;

const MAX_U64 = (1n << 64n) - 1n;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const OUTCOMES = new Set<number>([
  auditV1.Outcome.UNSPECIFIED,
  auditV1.Outcome.SUCCESS,
  auditV1.Outcome.FAILURE,
  auditV1.Outcome.DENIED,
]);

/** Encodes a record canonically. Throws InvalidArgumentError for a record without a time. */
export function encodeRecord(record: auditV1.Record): Buffer {
  if (record.time === undefined) {
    throw new InvalidArgumentError({ field: 'record.time', expected: 'a timestamp', received: 'nothing' });
  }
  if (!OUTCOMES.has(record.outcome)) {
    throw new InvalidArgumentError({ field: 'record.outcome', expected: 'a known Outcome', received: String(record.outcome) });
  }
  const writer = new Writer();
  writer.u8(RECORD_ENCODING_VERSION);
  writer.str(record.id);
  writer.i64(record.time.seconds);
  writer.u32(record.time.nanos);
  writer.str(record.actor);
  writer.str(record.action);
  writer.str(record.resource);
  writer.u8(record.outcome);
  writer.str(record.traceId);
  const keys = Object.keys(record.details).sort(compareUtf8);
  writer.u32(keys.length);
  for (const key of keys) {
    writer.str(key);
    writer.str(record.details[key]);
  }
  const serving = record.serving;
  writer.u8(serving === undefined ? 0 : 1);
  if (serving !== undefined) {
    writer.str(serving.model);
    writer.str(serving.version);
    writer.str(serving.experiment);
    writer.str(serving.variant);
    writer.u64(serving.latencyUs);
    writer.i32(serving.statusCode);
    writer.str(serving.inputSha256);
    writer.u64(serving.inputBytes);
    writer.str(serving.unitHash);
    writer.str(serving.requestId);
  }
  return writer.finish();
}

/** Decodes canonical record bytes; throws DataLossError for anything else. */
export function decodeRecord(bytes: Uint8Array): auditV1.Record {
  const reader = new Reader(bytes);
  const version = reader.u8();
  if (version !== RECORD_ENCODING_VERSION) reader.fail(`unknown encoding version ${version}`);
  const id = reader.str();
  const seconds = reader.i64();
  const nanos = reader.u32();
  const actor = reader.str();
  const action = reader.str();
  const resource = reader.str();
  const outcome = reader.u8();
  if (!OUTCOMES.has(outcome)) reader.fail(`unknown outcome ${outcome}`);
  const traceId = reader.str();
  const count = reader.u32();
  const details: Record<string, string> = {};
  let previous: string | undefined;
  for (let i = 0; i < count; i++) {
    const key = reader.str();
    if (previous !== undefined && compareUtf8(previous, key) >= 0) reader.fail('details keys are not strictly sorted');
    details[key] = reader.str();
    previous = key;
  }
  const hasServing = reader.u8();
  if (hasServing > 1) reader.fail('bad serving flag');
  let serving: auditV1.ServingRequest | undefined;
  if (hasServing === 1) {
    serving = create(auditV1.ServingRequestSchema, {
      model: reader.str(),
      version: reader.str(),
      experiment: reader.str(),
      variant: reader.str(),
      latencyUs: reader.u64(),
      statusCode: reader.i32(),
      inputSha256: reader.str(),
      inputBytes: reader.u64(),
      unitHash: reader.str(),
      requestId: reader.str(),
    });
  }
  reader.end();
  return create(auditV1.RecordSchema, {
    id,
    time: { seconds, nanos },
    actor,
    action,
    resource,
    outcome,
    traceId,
    details,
    serving,
  });
}

/** Byte-wise UTF-8 order, the same on every platform (unlike locale or UTF-16 order). */
function compareUtf8(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

class Writer {
  private buffer = Buffer.allocUnsafe(256);
  private length = 0;

  private reserve(bytes: number): void {
    if (this.length + bytes <= this.buffer.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buffer.length * 2, this.length + bytes));
    this.buffer.copy(grown, 0, 0, this.length);
    this.buffer = grown;
  }

  u8(value: number): void {
    this.reserve(1);
    this.buffer[this.length++] = value;
  }

  u32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeUInt32BE(value, this.length);
  }

  i32(value: number): void {
    this.reserve(4);
    this.length = this.buffer.writeInt32BE(value, this.length);
  }

  i64(value: bigint): void {
    this.reserve(8);
    this.length = this.buffer.writeBigInt64BE(value, this.length);
  }

  u64(value: bigint): void {
    if (value < 0n || value > MAX_U64) throw new RangeError(`${value} is not a uint64`);
    this.reserve(8);
    this.length = this.buffer.writeBigUInt64BE(value, this.length);
  }

  str(value: string): void {
    const bytes = Buffer.byteLength(value, 'utf8');
    this.u32(bytes);
    this.reserve(bytes);
    this.length += this.buffer.write(value, this.length, 'utf8');
  }

  finish(): Buffer {
    return Buffer.from(this.buffer.subarray(0, this.length));
  }
}

class Reader {
  private offset = 0;
  private readonly view: Buffer;

  constructor(bytes: Uint8Array) {
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(reason: string): never {
    throw new DataLossError(`audit record bytes are not canonical at byte ${this.offset}: ${reason}`);
  }

  private need(bytes: number): number {
    if (this.offset + bytes > this.view.length) this.fail(`needs ${bytes} more bytes, has ${this.view.length - this.offset}`);
    const at = this.offset;
    this.offset += bytes;
    return at;
  }

  u8(): number {
    return this.view[this.need(1)];
  }

  u32(): number {
    return this.view.readUInt32BE(this.need(4));
  }

  i32(): number {
    return this.view.readInt32BE(this.need(4));
  }

  i64(): bigint {
    return this.view.readBigInt64BE(this.need(8));
  }

  u64(): bigint {
    return this.view.readBigUInt64BE(this.need(8));
  }

  str(): string {
    const bytes = this.u32();
    const at = this.need(bytes);
    try {
      return utf8.decode(this.view.subarray(at, at + bytes));
    } catch {
      return this.fail('a string is not valid UTF-8');
    }
  }

  end(): void {
    if (this.offset !== this.view.length) this.fail(`${this.view.length - this.offset} trailing bytes`);
  }
}
