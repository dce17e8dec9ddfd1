import {
  ScalarType,
  create,
  fromBinary,
  toBinary,
  type DescMessage,
  type Message,
} from '@bufbuild/protobuf';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';

/** Turns messages into bytes and back for one side of a method. */
export interface Codec<T> {
  serialize(value: T): Buffer;
  deserialize(bytes: Buffer): T | DecodeFailure;
}

/**
 * What a deserializer returns instead of throwing. grpc-js turns a throwing deserializer into
 * INTERNAL; a bad request is the caller's fault, so the adapter reports it as INVALID_ARGUMENT.
 */
export class DecodeFailure {
  constructor(
    readonly typeName: string,
    readonly reason: string,
  ) {}
}

/**
 * A message its sender encoded itself, handed to grpc-js as is. For bulk byte streams: a chunk
 * read from disk straight into its encoding ({@link bytesFieldMessage}) is not copied again.
 */
export class EncodedMessage<Desc extends DescMessage = DescMessage> {
  constructor(
    readonly schema: Desc,
    readonly bytes: Buffer,
  ) {}
}

/**
 * The encoding of a `schema` message whose only field set is the bytes field `fieldName`
 * (a oneof member or not), `length` bytes long, with `value` the part for the caller to fill.
 */
export function bytesFieldMessage<Desc extends DescMessage>(
  schema: Desc,
  fieldName: string,
  length: number,
): { message: EncodedMessage<Desc>; value: Buffer } {
  const field = schema.fields.find((candidate) => candidate.localName === fieldName);
  if (field?.fieldKind !== 'scalar' || field.scalar !== ScalarType.BYTES) {
    throw new Error(`${schema.typeName} has no singular bytes field ${fieldName}`);
  }
  const prefix = new BinaryWriter()
    .tag(field.number, WireType.LengthDelimited)
    .uint32(length)
    .finish();
  const bytes = Buffer.allocUnsafe(prefix.length + length);
  bytes.set(prefix, 0);
  return { message: new EncodedMessage(schema, bytes), value: bytes.subarray(prefix.length) };
}

/**
 * Codec for a protobuf-es message type; accepts init shapes, and {@link EncodedMessage}s of the
 * same type, on the way out.
 */
export function messageCodec(schema: DescMessage): Codec<Message> {
  return {
    serialize(value) {
      if (value instanceof EncodedMessage) {
        if (value.schema.typeName !== schema.typeName) {
          throw new Error(`an encoded ${value.schema.typeName} where ${schema.typeName} belongs`);
        }
        return value.bytes;
      }
      // grpc-js needs a Buffer; a Buffer view over the same bytes avoids a copy.
      const bytes = toBinary(schema, create(schema, value as never));
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    },
    deserialize(bytes) {
      try {
        return fromBinary(schema, bytes);
      } catch (error) {
        return new DecodeFailure(schema.typeName, (error as Error).message);
      }
    },
  };
}

/** Codec that passes encoded messages through untouched (proxies). */
export const rawCodec: Codec<Buffer> = {
  serialize: (value) => value,
  deserialize: (bytes) => bytes,
};
