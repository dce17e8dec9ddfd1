import type { DescMessage, MessageInitShape, MessageShape } from '@bufbuild/protobuf';
import type { GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import type { Principal } from '@verdict/security';

/** Read-only view of a call's request metadata (gRPC headers), names lower-case. */
export interface RequestHeaders {
  /** The last value of a text header, or undefined. Binary (`-bin`) headers are not returned. */
  get(name: string): string | undefined;
  /** Every text header as a plain record (last value wins), for forwarding or logging. */
  toRecord(): Record<string, string>;
}

/** What a handler knows about the call it serves, free of grpc-js types. */
export interface CallContext {
  /** Full method name, e.g. `/inference.GRPCInferenceService/ModelInfer`. */
  readonly method: string;
  /** The authenticated caller: the peer's SPIFFE id, or a JWT user. */
  readonly principal: Principal;
  readonly requestHeaders: RequestHeaders;
  /** The client's deadline, when it sent one. */
  readonly deadline: Date | undefined;
  /** Aborted when the client cancels, the deadline passes or the server shuts down hard. */
  readonly signal: AbortSignal;
  /** Peer address as grpc-js reports it (`ipv4:127.0.0.1:5555`). */
  readonly peer: string;
  /** Adds a response header; only effective before the first response message. */
  setHeader(name: string, value: string): void;
  /** Adds a response trailer, sent with the final status (also on errors). */
  setTrailer(name: string, value: string): void;
}

/** A message as a handler receives it (decoded) and may return it (any init shape). */
type In<I extends DescMessage> = MessageShape<I>;
type Out<O extends DescMessage> = MessageInitShape<O> | MessageShape<O>;

/** Handler signature per method kind, for decoded protobuf-es messages. */
export type MethodImpl<M> = M extends {
  methodKind: 'unary';
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: In<I>, context: CallContext) => Promise<Out<O>> | Out<O>
  : M extends {
        methodKind: 'server_streaming';
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: In<I>, context: CallContext) => AsyncIterable<Out<O>>
    : M extends {
          methodKind: 'client_streaming';
          input: infer I extends DescMessage;
          output: infer O extends DescMessage;
        }
      ? (requests: AsyncIterable<In<I>>, context: CallContext) => Promise<Out<O>>
      : M extends {
            methodKind: 'bidi_streaming';
            input: infer I extends DescMessage;
            output: infer O extends DescMessage;
          }
        ? (requests: AsyncIterable<In<I>>, context: CallContext) => AsyncIterable<Out<O>>
        : never;

/**
 * A service implementation: a plain object with one handler per method of the generated
 * descriptor, so a missing or mistyped method fails to compile (connect-es's `ServiceImpl`).
 */
export type ServiceImpl<S extends GenServiceMethods> = { [K in keyof S]: MethodImpl<S[K]> };

/** Handler signature per method kind for the raw-bytes mode: messages stay encoded. */
export type RawMethodImpl<M> = M extends { methodKind: 'unary' }
  ? (request: Buffer, context: CallContext) => Promise<Buffer>
  : M extends { methodKind: 'server_streaming' }
    ? (request: Buffer, context: CallContext) => AsyncIterable<Buffer>
    : M extends { methodKind: 'client_streaming' }
      ? (requests: AsyncIterable<Buffer>, context: CallContext) => Promise<Buffer>
      : M extends { methodKind: 'bidi_streaming' }
        ? (requests: AsyncIterable<Buffer>, context: CallContext) => AsyncIterable<Buffer>
        : never;

/** A raw-bytes implementation: for proxies that forward messages without decoding them. */
export type RawServiceImpl<S extends GenServiceMethods> = { [K in keyof S]: RawMethodImpl<S[K]> };
