/**
 * The few protobuf wire-format primitives the router needs to read a handful of top-level
 * fields from encoded messages without decoding them (https://protobuf.dev/programming-guides/encoding/).
 */

/** Wire types of the protobuf encoding. */
export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  LENGTH_DELIMITED: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

/** Why bytes are not a well-formed protobuf message, with the offset where reading stopped. */
export class WireFormatError extends Error {
  constructor(
    readonly reason: string,
    readonly offset: number,
  ) {
    super(`${reason} at byte ${offset}`);
  }
}

/**
 * A cursor over one message's fields. `next()` reads a tag and positions the cursor on its
 * value; `skip()` jumps over it. Kept as one reusable object so scanning allocates nothing.
 */
export class FieldCursor {
  buf: Buffer = EMPTY;
  pos = 0;
  end = 0;
  field = 0;
  wireType = 0;
  /** For a length-delimited field: where its bytes start and end. */
  valueStart = 0;
  valueEnd = 0;

  reset(buf: Buffer, start = 0, end = buf.length): this {
    this.buf = buf;
    this.pos = start;
    this.end = end;
    return this;
  }

  /** Reads the next tag; false at the end of the message. Throws WireFormatError on bad bytes. */
  next(): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint32();
    this.field = tag >>> 3;
    this.wireType = tag & 7;
    if (this.field === 0) throw new WireFormatError('field number 0', this.pos);
    if (this.wireType === WireType.LENGTH_DELIMITED) {
      const length = this.varint32();
      this.valueStart = this.pos;
      this.valueEnd = this.pos + length;
      if (this.valueEnd > this.end) {
        throw new WireFormatError(`field ${this.field} runs past the end of the message`, this.pos);
      }
    }
    return true;
  }

  /** Moves past the current field's value. */
  skip(): void {
    switch (this.wireType) {
      case WireType.VARINT:
        this.varint64Skip();
        return;
      case WireType.FIXED64:
        this.advance(8);
        return;
      case WireType.LENGTH_DELIMITED:
        this.pos = this.valueEnd;
        return;
      case WireType.FIXED32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${this.wireType}`, this.pos);
    }
  }

  /** The current length-delimited value as UTF-8 text. */
  string(): string {
    const text = this.buf.toString('utf8', this.valueStart, this.valueEnd);
    this.pos = this.valueEnd;
    return text;
  }

  /** A varint value read as a JavaScript number (exact up to 2^53). */
  varintNumber(): number {
    let result = 0;
    let multiplier = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint', this.pos);
      const byte = this.buf[this.pos++];
      result += (byte & 0x7f) * multiplier;
      if (byte < 0x80) return result;
      multiplier *= 128;
    }
    throw new WireFormatError('varint longer than 10 bytes', this.pos);
  }

  /** A varint value read as an unsigned 64-bit integer. */
  varintBigInt(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint', this.pos);
      const byte = this.buf[this.pos++];
      result |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) return BigInt.asUintN(64, result);
      shift += 7n;
    }
    throw new WireFormatError('varint longer than 10 bytes', this.pos);
  }

  /** A little-endian double (wire type FIXED64). */
  double(): number {
    this.ensure(8);
    const value = this.buf.readDoubleLE(this.pos);
    this.pos += 8;
    return value;
  }

  private varint32(): number {
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint', this.pos);
      const byte = this.buf[this.pos++];
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
    }
    throw new WireFormatError('tag or length varint longer than 5 bytes', this.pos);
  }

  private varint64Skip(): void {
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint', this.pos);
      if (this.buf[this.pos++] < 0x80) return;
    }
    throw new WireFormatError('varint longer than 10 bytes', this.pos);
  }

  private advance(bytes: number): void {
    this.ensure(bytes);
    this.pos += bytes;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes > this.end) {
      throw new WireFormatError(`field ${this.field} runs past the end of the message`, this.pos);
    }
  }
}

const EMPTY = Buffer.alloc(0);

/** Bytes of a varint. */
export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

/** Writes a varint at `offset`; returns the offset after it. */
export function writeVarint(target: Buffer, offset: number, value: number): number {
  while (value >= 0x80) {
    target[offset++] = (value & 0x7f) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/**
 * `message` followed by one more length-delimited field. Protobuf parsers let the last
 * occurrence of a scalar field win, so appending overrides a field without re-encoding.
 */
export function appendLengthDelimited(message: Buffer, field: number, value: Buffer): Buffer {
  const tag = (field << 3) | WireType.LENGTH_DELIMITED;
  const size = message.length + varintSize(tag) + varintSize(value.length) + value.length;
  const out = Buffer.allocUnsafe(size);
  message.copy(out, 0);
  let offset = writeVarint(out, message.length, tag);
  offset = writeVarint(out, offset, value.length);
  value.copy(out, offset);
  return out;
}

/** One length-delimited field on its own (e.g. a message nested as field `field` of a wrapper). */
export function lengthDelimited(field: number, value: Buffer): Buffer {
  return appendLengthDelimited(EMPTY, field, value);
}
