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

/**
 * Encodes a record canonically. Throws InvalidArgumentError for a record without a time, with
 * an unknown outcome, or with a string holding an unpaired UTF-16 surrogate (UTF-8 cannot carry
 * one: it would be replaced by U+FFFD, and two different records would share their bytes).
 */
export function encodeRecord(record: auditV1.Record): Buffer {
  const bound = maxEncodedRecordBytes(record);
  if (scratch.length < bound) scratch = Buffer.allocUnsafe(Math.max(bound, scratch.length * 2));
  const end = encodeRecordInto(record, scratch, 0);
  const out = Buffer.allocUnsafe(end);
  scratch.copy(out, 0, 0, end);
  return out;
}

/**
 * An upper bound on the bytes of `record`'s encoding, cheap to compute (string lengths only),
 * for callers that encode many records into one buffer with {@link encodeRecordInto}.
 */
export function maxEncodedRecordBytes(record: auditV1.Record): number {
  let bytes =
    FIXED_BYTES + stringBound(record.id) + stringBound(record.actor) + stringBound(record.action);
  bytes += stringBound(record.resource) + stringBound(record.traceId);
  for (const key in record.details) bytes += stringBound(key) + stringBound(record.details[key]);
  const serving = record.serving;
  if (serving !== undefined) {
    bytes += SERVING_FIXED_BYTES + stringBound(serving.model) + stringBound(serving.version);
    bytes +=
      stringBound(serving.experiment) +
      stringBound(serving.variant) +
      stringBound(serving.inputSha256);
    bytes += stringBound(serving.unitHash) + stringBound(serving.requestId);
  }
  return bytes;
}

/**
 * Writes `record`'s canonical encoding (the same bytes as {@link encodeRecord}) into `target`
 * at `offset` and returns the offset just past it. `target` must have
 * {@link maxEncodedRecordBytes} bytes free from `offset`; throws RangeError otherwise.
 */
export function encodeRecordInto(record: auditV1.Record, target: Buffer, offset: number): number {
  if (target.length - offset < maxEncodedRecordBytes(record)) {
    throw new RangeError(
      `encodeRecordInto needs ${maxEncodedRecordBytes(record)} bytes free at ${offset}, has ${target.length - offset}`,
    );
  }
  const time = record.time;
  if (time === undefined) {
    throw new InvalidArgumentError({
      field: 'record.time',
      expected: 'a timestamp',
      received: 'nothing',
    });
  }
  const outcome = record.outcome;
  if (!OUTCOMES.has(outcome)) {
    throw new InvalidArgumentError({
      field: 'record.outcome',
      expected: 'a known Outcome',
      received: String(outcome),
    });
  }
  let at = offset;
  target[at++] = RECORD_ENCODING_VERSION;
  at = writeString(target, at, record.id, 'record.id');
  at = target.writeBigInt64BE(time.seconds, at);
  at = target.writeUInt32BE(time.nanos, at);
  at = writeString(target, at, record.actor, 'record.actor');
  at = writeString(target, at, record.action, 'record.action');
  at = writeString(target, at, record.resource, 'record.resource');
  target[at++] = outcome;
  at = writeString(target, at, record.traceId, 'record.trace_id');
  const keys = Object.keys(record.details);
  if (keys.length > 1) keys.sort(compareUtf8);
  at = writeLength(target, at, keys.length);
  for (const key of keys) {
    at = writeString(target, at, key, 'record.details');
    at = writeString(target, at, record.details[key], 'record.details');
  }
  const serving = record.serving;
  if (serving === undefined) {
    target[at++] = 0;
    return at;
  }
  target[at++] = 1;
  at = writeString(target, at, serving.model, 'record.serving.model');
  at = writeString(target, at, serving.version, 'record.serving.version');
  at = writeString(target, at, serving.experiment, 'record.serving.experiment');
  at = writeString(target, at, serving.variant, 'record.serving.variant');
  at = writeU64(target, at, serving.latencyUs);
  at = target.writeInt32BE(serving.statusCode, at);
  at = writeString(target, at, serving.inputSha256, 'record.serving.input_sha256');
  at = writeU64(target, at, serving.inputBytes);
  at = writeString(target, at, serving.unitHash, 'record.serving.unit_hash');
  return writeString(target, at, serving.requestId, 'record.serving.request_id');
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
    if (previous !== undefined && compareUtf8(previous, key) >= 0)
      reader.fail('details keys are not strictly sorted');
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

/** Version, seconds, nanos, outcome, details count, serving flag. */
const FIXED_BYTES = 1 + 8 + 4 + 1 + 4 + 1;
/** Latency, status code, input bytes. */
const SERVING_FIXED_BYTES = 8 + 4 + 8;

/** Shared by every {@link encodeRecord} call: encoding is synchronous, so one buffer serves all. */
let scratch = Buffer.allocUnsafe(4096);

/** A length prefix and the most UTF-8 bytes a string can take: 3 per UTF-16 unit. */
function stringBound(value: string): number {
  return 4 + 3 * value.length;
}

function writeLength(target: Buffer, at: number, value: number): number {
  target[at] = value >>> 24;
  target[at + 1] = value >>> 16;
  target[at + 2] = value >>> 8;
  target[at + 3] = value;
  return at + 4;
}

function writeU64(target: Buffer, at: number, value: bigint): number {
  if (value < 0n || value > MAX_U64) throw new RangeError(`${value} is not a uint64`);
  return target.writeBigUInt64BE(value, at);
}

/**
 * `u32 length | UTF-8 bytes`. Audit strings are nearly always ASCII, which a plain loop copies
 * faster than a call into the UTF-8 encoder costs; anything else goes through the encoder.
 */
function writeString(target: Buffer, at: number, value: string, field: string): number {
  const start = at + 4;
  const length = value.length;
  let i = 0;
  for (; i < length; i++) {
    const code = value.charCodeAt(i);
    if (code >= 0x80) break;
    target[start + i] = code;
  }
  let bytes = length;
  if (i < length) {
    if (!isWellFormed(value)) {
      throw new InvalidArgumentError({
        field,
        expected: 'well-formed Unicode text',
        received: 'an unpaired UTF-16 surrogate',
      });
    }
    bytes = i + target.write(value.slice(i), start + i, 'utf8');
  }
  return writeLength(target, at, bytes) + bytes;
}

function isWellFormed(value: string): boolean {
  // String.prototype.isWellFormed is in Node 20 but not in the ES2022 library types.
  return (value as unknown as { isWellFormed(): boolean }).isWellFormed();
}

class Reader {
  private offset = 0;
  private readonly view: Buffer;

  constructor(bytes: Uint8Array) {
    this.view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  fail(reason: string): never {
    throw new DataLossError(
      `audit record bytes are not canonical at byte ${this.offset}: ${reason}`,
    );
  }

  private need(bytes: number): number {
    if (this.offset + bytes > this.view.length)
      this.fail(`needs ${bytes} more bytes, has ${this.view.length - this.offset}`);
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
    if (this.offset !== this.view.length)
      this.fail(`${this.view.length - this.offset} trailing bytes`);
  }
}
