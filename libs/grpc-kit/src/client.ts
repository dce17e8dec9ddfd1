import type {
  DescMessage,
  DescMethod,
  DescService,
  MessageInitShape,
  MessageShape,
} from '@bufbuild/protobuf';
import type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
import {
  Client,
  Metadata,
  type CallOptions as GrpcCallOptions,
  type ChannelOptions,
  type ClientDuplexStream,
  type ClientReadableStream,
  type ClientWritableStream,
} from '@grpc/grpc-js';
import {
  context as otelContext,
  propagation,
  SpanKind,
  SpanStatusCode,
  trace,
  type Span,
  type Tracer,
} from '@opentelemetry/api';
import { channelCredentials, type ClientTransportOptions } from './credentials';
import { DEFAULT_MAX_MESSAGE_BYTES } from './server';
import { DecodeFailure, type EncodedMessage } from './codec';
import { metadataToRecord } from './metadata';
import { methodCodecs, methodPath, type WireMode } from './service-definition';

/** Per-call options of a kit client. */
export interface CallOptions {
  /** Deadline relative to now; overrides the client's default. */
  timeoutMs?: number;
  /** Extra request metadata (lower-case names). */
  headers?: Record<string, string>;
  /** Cancels the call. */
  signal?: AbortSignal;
  /** Receives the response headers. */
  onHeader?: (headers: Record<string, string>) => void;
  /** Receives the response trailers (also when the call fails). */
  onTrailer?: (trailers: Record<string, string>) => void;
}

export interface ClientOptions {
  /** `host:port`. */
  address: string;
  transport: ClientTransportOptions;
  /** Deadline for calls that set none; 0 means no deadline. @default 30000 */
  defaultTimeoutMs?: number;
  /** Bearer token added to each call, e.g. a CI job's JWT. */
  bearerToken?: () => string | Promise<string>;
  /** @default 64 MiB */
  maxMessageBytes?: number;
  /** Further grpc-js channel options. */
  channelOptions?: ChannelOptions;
  /** @default the global tracer provider's `@verdict/grpc-kit` tracer */
  tracer?: Tracer;
}

type In<I extends DescMessage> = MessageInitShape<I>;
/** A streamed request: a message, or one the caller encoded itself (bulk bytes). */
type StreamIn<I extends DescMessage> = In<I> | EncodedMessage<I>;
type Out<O extends DescMessage> = MessageShape<O>;

/** Client method signature per method kind. */
export type ClientMethod<M> = M extends {
  methodKind: 'unary';
  input: infer I extends DescMessage;
  output: infer O extends DescMessage;
}
  ? (request: In<I>, options?: CallOptions) => Promise<Out<O>>
  : M extends {
        methodKind: 'server_streaming';
        input: infer I extends DescMessage;
        output: infer O extends DescMessage;
      }
    ? (request: In<I>, options?: CallOptions) => AsyncIterable<Out<O>>
    : M extends {
          methodKind: 'client_streaming';
          input: infer I extends DescMessage;
          output: infer O extends DescMessage;
        }
      ? (
          requests: AsyncIterable<StreamIn<I>> | Iterable<StreamIn<I>>,
          options?: CallOptions,
        ) => Promise<Out<O>>
      : M extends {
            methodKind: 'bidi_streaming';
            input: infer I extends DescMessage;
            output: infer O extends DescMessage;
          }
        ? (
            requests: AsyncIterable<StreamIn<I>> | Iterable<StreamIn<I>>,
            options?: CallOptions,
          ) => AsyncIterable<Out<O>>
        : never;

/** Raw-bytes client method signature per method kind. */
export type RawClientMethod<M> = M extends { methodKind: 'unary' }
  ? (request: Buffer, options?: CallOptions) => Promise<Buffer>
  : M extends { methodKind: 'server_streaming' }
    ? (request: Buffer, options?: CallOptions) => AsyncIterable<Buffer>
    : M extends { methodKind: 'client_streaming' }
      ? (
          requests: AsyncIterable<Buffer> | Iterable<Buffer>,
          options?: CallOptions,
        ) => Promise<Buffer>
      : M extends { methodKind: 'bidi_streaming' }
        ? (
            requests: AsyncIterable<Buffer> | Iterable<Buffer>,
            options?: CallOptions,
          ) => AsyncIterable<Buffer>
        : never;

/** Lifecycle shared by typed and raw clients. */
export interface ClientHandle {
  /** Closes the channel; calls in flight are cancelled. */
  close(): void;
  /** Resolves once the channel is connected (or rejects after `timeoutMs`). */
  waitForReady(timeoutMs: number): Promise<void>;
}

export type TypedClient<S extends GenServiceMethods> = {
  [K in keyof S]: ClientMethod<S[K]>;
} & ClientHandle;
export type RawClient<S extends GenServiceMethods> = {
  [K in keyof S]: RawClientMethod<S[K]>;
} & ClientHandle;

/** A typed client over mutual TLS for a protobuf-es service, with trace propagation. */
export function createClient<S extends GenServiceMethods>(
  service: GenService<S>,
  options: ClientOptions,
): TypedClient<S> {
  return buildClient(service as unknown as DescService, options, 'message') as TypedClient<S>;
}

/** A client whose methods take and return encoded messages, for proxies. */
export function createRawClient<S extends GenServiceMethods>(
  service: GenService<S>,
  options: ClientOptions,
): RawClient<S> {
  return buildClient(service as unknown as DescService, options, 'raw') as RawClient<S>;
}

const DEFAULT_TIMEOUT_MS = 30_000;

function buildClient(
  service: DescService,
  options: ClientOptions,
  mode: WireMode,
): Record<string, unknown> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const channel = new Client(options.address, channelCredentials(options.transport), {
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
    ...options.channelOptions,
  });
  const tracer = options.tracer ?? trace.getTracer('@verdict/grpc-kit');
  const client: Record<string, unknown> = {
    close: () => channel.close(),
    waitForReady: (timeoutMs: number) =>
      new Promise<void>((resolve, reject) =>
        channel.waitForReady(Date.now() + timeoutMs, (error) =>
          error ? reject(error) : resolve(),
        ),
      ),
  };
  for (const method of service.methods) {
    client[method.localName] = methodCaller(channel, method, mode, options, tracer);
  }
  return client;
}

function methodCaller(
  channel: Client,
  method: DescMethod,
  mode: WireMode,
  options: ClientOptions,
  tracer: Tracer,
) {
  const path = methodPath(method);
  const codecs = methodCodecs(method, mode);
  const serialize = codecs.request.serialize;
  const deserialize = (bytes: Buffer) => {
    const value = codecs.response.deserialize(bytes);
    if (value instanceof DecodeFailure) {
      throw new Error(`response of ${path} does not decode as ${value.typeName}: ${value.reason}`);
    }
    return value;
  };

  const prepare = async (callOptions: CallOptions | undefined) => {
    const span = tracer.startSpan(path.slice(1), {
      kind: SpanKind.CLIENT,
      attributes: {
        'rpc.system': 'grpc',
        'rpc.service': method.parent.typeName,
        'rpc.method': method.name,
      },
    });
    const metadata = new Metadata();
    for (const [key, value] of Object.entries(callOptions?.headers ?? {})) metadata.set(key, value);
    const carrier: Record<string, string> = {};
    propagation.inject(trace.setSpan(otelContext.active(), span), carrier);
    for (const [key, value] of Object.entries(carrier)) metadata.set(key, value);
    if (options.bearerToken !== undefined)
      metadata.set('authorization', `Bearer ${await options.bearerToken()}`);
    const timeoutMs = callOptions?.timeoutMs ?? options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS;
    const grpcOptions: GrpcCallOptions = timeoutMs > 0 ? { deadline: Date.now() + timeoutMs } : {};
    return { span, metadata, grpcOptions };
  };

  const observe = (
    call: NodeJS.EventEmitter & { cancel(): void },
    span: Span,
    callOptions: CallOptions | undefined,
  ) => {
    call.on('metadata', (headers: Metadata) => callOptions?.onHeader?.(metadataToRecord(headers)));
    call.on('status', (status: { code: number; details: string; metadata: Metadata }) => {
      callOptions?.onTrailer?.(metadataToRecord(status.metadata));
      span.setAttribute('rpc.grpc.status_code', status.code);
      if (status.code !== 0)
        span.setStatus({ code: SpanStatusCode.ERROR, message: status.details });
      span.end();
    });
    const signal = callOptions?.signal;
    if (signal !== undefined) {
      if (signal.aborted) call.cancel();
      else signal.addEventListener('abort', () => call.cancel(), { once: true });
    }
  };

  switch (method.methodKind) {
    case 'unary':
      return async (request: unknown, callOptions?: CallOptions) => {
        const { span, metadata, grpcOptions } = await prepare(callOptions);
        return new Promise((resolve, reject) => {
          const call = channel.makeUnaryRequest(
            path,
            serialize,
            deserialize,
            request,
            metadata,
            grpcOptions,
            (error, response) => (error ? reject(error) : resolve(response)),
          );
          observe(call, span, callOptions);
        });
      };
    case 'server_streaming':
      return (request: unknown, callOptions?: CallOptions) =>
        readAll(async () => {
          const { span, metadata, grpcOptions } = await prepare(callOptions);
          const call = channel.makeServerStreamRequest(
            path,
            serialize,
            deserialize,
            request,
            metadata,
            grpcOptions,
          );
          observe(call, span, callOptions);
          return call;
        });
    case 'client_streaming':
      return async (
        requests: AsyncIterable<unknown> | Iterable<unknown>,
        callOptions?: CallOptions,
      ) => {
        const { span, metadata, grpcOptions } = await prepare(callOptions);
        let call: ClientWritableStream<unknown> | undefined;
        const response = new Promise((resolve, reject) => {
          call = channel.makeClientStreamRequest(
            path,
            serialize,
            deserialize,
            metadata,
            grpcOptions,
            (error, value) => (error ? reject(error) : resolve(value)),
          );
        });
        observe(call!, span, callOptions);
        await Promise.all([pump(requests, call!), response]);
        return response;
      };
    case 'bidi_streaming':
      return (requests: AsyncIterable<unknown> | Iterable<unknown>, callOptions?: CallOptions) =>
        readAll(async () => {
          const { span, metadata, grpcOptions } = await prepare(callOptions);
          const call = channel.makeBidiStreamRequest(
            path,
            serialize,
            deserialize,
            metadata,
            grpcOptions,
          );
          observe(call, span, callOptions);
          pump(requests, call).catch((error: unknown) => call.destroy(error as Error));
          return call;
        });
  }
}

/** Writes requests with backpressure, then half-closes. */
async function pump(
  requests: AsyncIterable<unknown> | Iterable<unknown>,
  call: ClientWritableStream<unknown> | ClientDuplexStream<unknown, unknown>,
): Promise<void> {
  for await (const request of requests) {
    if (!call.write(request)) {
      await new Promise<void>((resolve) => call.once('drain', resolve));
    }
  }
  call.end();
}

/** Turns a grpc-js readable call into an AsyncIterable whose iteration surfaces the call's error. */
async function* readAll(
  open: () => Promise<ClientReadableStream<unknown> | ClientDuplexStream<unknown, unknown>>,
): AsyncIterable<unknown> {
  const call = await open();
  try {
    for await (const message of call) yield message;
  } finally {
    call.cancel();
  }
}
