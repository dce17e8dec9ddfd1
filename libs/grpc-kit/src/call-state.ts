import {
  Metadata,
  type ServerDuplexStream,
  type ServerReadableStream,
  type ServerUnaryCall,
  type ServerWritableStream,
} from '@grpc/grpc-js';
import type { DescMethod } from '@bufbuild/protobuf';
import type { Principal } from '@verdict/security';
import type { CallContext, RequestHeaders } from './types';
import { metadataToRecord } from './metadata';
import { methodPath } from './service-definition';

/** Any of grpc-js's four server call objects. */
export type ServerSurfaceCall =
  | ServerUnaryCall<unknown, unknown>
  | ServerReadableStream<unknown, unknown>
  | ServerWritableStream<unknown, unknown>
  | ServerDuplexStream<unknown, unknown>;

/** Placeholder principal until authentication has run; never seen by a handler. */
const UNAUTHENTICATED: Principal = { kind: 'user', id: 'anonymous', issuer: '', groups: [] };

/**
 * The per-call state the server pipeline works on: the handler's CallContext plus what the
 * interceptors need to read and set (the principal, response metadata, the raw grpc-js call).
 */
export interface CallState {
  readonly method: DescMethod;
  readonly path: string;
  readonly call: ServerSurfaceCall;
  readonly context: CallContext;
  readonly trailers: Metadata;
  readonly abort: AbortController;
  principal: Principal;
}

/** Wraps grpc-js request metadata in the transport-neutral RequestHeaders view. */
export function requestHeaders(metadata: Metadata): RequestHeaders {
  return {
    get(name) {
      const values = metadata.get(name.toLowerCase());
      const last = values[values.length - 1];
      return typeof last === 'string' ? last : undefined;
    },
    toRecord: () => metadataToRecord(metadata),
  };
}

export function createCallState(call: ServerSurfaceCall, method: DescMethod): CallState {
  const trailers = new Metadata();
  const abort = new AbortController();
  const deadline = call.getDeadline();
  const headers = requestHeaders(call.metadata);
  let headersSent = false;
  const state: CallState = {
    method,
    path: methodPath(method),
    call,
    trailers,
    abort,
    principal: UNAUTHENTICATED,
    context: {
      method: methodPath(method),
      get principal() {
        return state.principal;
      },
      requestHeaders: headers,
      deadline:
        deadline instanceof Date
          ? deadline
          : Number.isFinite(deadline)
            ? new Date(deadline)
            : undefined,
      signal: abort.signal,
      peer: call.getPeer(),
      setHeader(name, value) {
        if (headersSent) return;
        const header = new Metadata();
        header.set(name, value);
        call.sendMetadata(header);
        headersSent = true;
      },
      setTrailer(name, value) {
        trailers.set(name, value);
      },
    },
  };
  (call as NodeJS.EventEmitter).on('cancelled', () =>
    abort.abort(new Error('call cancelled by the client')),
  );
  return state;
}
