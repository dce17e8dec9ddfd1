import { create, fromBinary, toBinary, type DescMessage, type Message } from '@bufbuild/protobuf';

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

/** Codec for a protobuf-es message type; accepts init shapes on the way out. */
export function messageCodec(schema: DescMessage): Codec<Message> {
  return {
    serialize(value) {
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
