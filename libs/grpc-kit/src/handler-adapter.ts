import { once } from 'node:events';
import type { Readable } from 'node:stream';
import type { DescMethod } from '@bufbuild/protobuf';
import type {
  ServerDuplexStream,
  handleBidiStreamingCall,
  handleClientStreamingCall,
  handleServerStreamingCall,
  handleUnaryCall,
  ServerWritableStream,
  UntypedHandleCall,
} from '@grpc/grpc-js';
import { InvalidArgumentError } from '@verdict/errors';
import { createCallState, type CallState } from './call-state';
import { DecodeFailure } from './codec';
import { mapError, toServiceError } from './error-mapping';
import { runInterceptors, type ServerInterceptor } from './interceptors';
import type { KitLogger } from './logger';
import type { CallContext } from './types';

/** What every handler of a server shares: its interceptors and its logger. */
export interface Pipeline {
  interceptors: readonly ServerInterceptor[];
  logger: KitLogger;
}

type AnyImpl = (input: unknown, context: CallContext) => unknown;

/**
 * Adapts one handler to grpc-js. grpc-js does not await async handlers, so the adapter awaits
 * the pipeline and answers the callback or ends the stream itself, with mapped errors.
 */
export function adaptHandler(
  method: DescMethod,
  impl: AnyImpl,
  pipeline: Pipeline,
): UntypedHandleCall {
  switch (method.methodKind) {
    case 'unary':
      return unary(method, impl, pipeline);
    case 'server_streaming':
      return serverStreaming(method, impl, pipeline);
    case 'client_streaming':
      return clientStreaming(method, impl, pipeline);
    case 'bidi_streaming':
      return bidiStreaming(method, impl, pipeline);
  }
}

function unary(
  method: DescMethod,
  impl: AnyImpl,
  pipeline: Pipeline,
): handleUnaryCall<unknown, unknown> {
  return (call, callback) => {
    const state = createCallState(call, method);
    let response: unknown;
    run(state, pipeline, async () => {
      response = await impl(decoded(call.request), state.context);
    }).then(
      () => callback(null, response, state.trailers),
      (error: unknown) => callback(failure(error, state, pipeline)),
    );
  };
}

function serverStreaming(
  method: DescMethod,
  impl: AnyImpl,
  pipeline: Pipeline,
): handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const state = createCallState(call, method);
    run(state, pipeline, async () => {
      const outputs = impl(decoded(call.request), state.context) as AsyncIterable<unknown>;
      await writeAll(call, outputs, state.abort.signal);
    }).then(
      () => call.end(state.trailers),
      (error: unknown) => call.emit('error', failure(error, state, pipeline)),
    );
  };
}

function clientStreaming(
  method: DescMethod,
  impl: AnyImpl,
  pipeline: Pipeline,
): handleClientStreamingCall<unknown, unknown> {
  return (call, callback) => {
    const state = createCallState(call, method);
    let response: unknown;
    run(state, pipeline, async () => {
      response = await impl(decodedStream(call), state.context);
    }).then(
      () => callback(null, response, state.trailers),
      (error: unknown) => callback(failure(error, state, pipeline)),
    );
  };
}

function bidiStreaming(
  method: DescMethod,
  impl: AnyImpl,
  pipeline: Pipeline,
): handleBidiStreamingCall<unknown, unknown> {
  return (call) => {
    const state = createCallState(call, method);
    run(state, pipeline, async () => {
      const outputs = impl(decodedStream(call), state.context) as AsyncIterable<unknown>;
      await writeAll(call, outputs, state.abort.signal);
    }).then(
      () => call.end(state.trailers),
      (error: unknown) => call.emit('error', failure(error, state, pipeline)),
    );
  };
}

function run(state: CallState, pipeline: Pipeline, handler: () => Promise<void>): Promise<void> {
  // Errors thrown synchronously by an interceptor or handler must reach the same path as async ones.
  return Promise.resolve().then(() => runInterceptors(pipeline.interceptors, state, handler));
}

function failure(error: unknown, state: CallState, pipeline: Pipeline) {
  return toServiceError(mapError(error, state.path, pipeline.logger), state.trailers);
}

function decoded(value: unknown): unknown {
  if (value instanceof DecodeFailure) {
    throw new InvalidArgumentError({
      field: 'request',
      expected: `a valid ${value.typeName} message`,
      received: `bytes that do not decode (${value.reason})`,
    });
  }
  return value;
}

/**
 * The requests of a client- or bidi-streaming call. A plain `for await` over a Readable destroys
 * the stream when the loop ends, which for a duplex call would also kill the response side
 * before its status is sent; `destroyOnReturn: false` leaves the call to the adapter.
 */
async function* decodedStream(stream: Readable): AsyncIterable<unknown> {
  for await (const item of stream.iterator({ destroyOnReturn: false })) yield decoded(item);
}

/** Writes every output, waiting for 'drain' when grpc-js buffers are full; stops on cancel. */
async function writeAll(
  call: ServerWritableStream<unknown, unknown> | ServerDuplexStream<unknown, unknown>,
  outputs: AsyncIterable<unknown>,
  signal: AbortSignal,
): Promise<void> {
  for await (const output of outputs) {
    if (signal.aborted) return;
    if (!call.write(output)) {
      try {
        await once(call, 'drain', { signal });
      } catch {
        return;
      }
    }
  }
}
