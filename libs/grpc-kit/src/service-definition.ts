import type { DescMethod, DescService } from '@bufbuild/protobuf';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { messageCodec, rawCodec, type Codec } from './codec';

/** How a method's messages cross the wire: decoded protobuf-es messages or raw bytes. */
export type WireMode = 'message' | 'raw';

/** The full gRPC path of a method: `/package.Service/Method`. */
export function methodPath(method: DescMethod): string {
  return `/${method.parent.typeName}/${method.name}`;
}

/** The codecs of one method's request and response for a wire mode. */
export function methodCodecs(
  method: DescMethod,
  mode: WireMode,
): { request: Codec<unknown>; response: Codec<unknown> } {
  if (mode === 'raw') {
    return { request: rawCodec as Codec<unknown>, response: rawCodec as Codec<unknown> };
  }
  return {
    request: messageCodec(method.input) as Codec<unknown>,
    response: messageCodec(method.output) as Codec<unknown>,
  };
}

/** A grpc-js service definition built from a protobuf-es service descriptor. */
export function createServiceDefinition(service: DescService, mode: WireMode): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methods) {
    const codecs = methodCodecs(method, mode);
    definition[method.localName] = {
      path: methodPath(method),
      requestStream:
        method.methodKind === 'client_streaming' || method.methodKind === 'bidi_streaming',
      responseStream:
        method.methodKind === 'server_streaming' || method.methodKind === 'bidi_streaming',
      requestSerialize: codecs.request.serialize,
      requestDeserialize: codecs.request.deserialize,
      responseSerialize: codecs.response.serialize,
      responseDeserialize: codecs.response.deserialize,
      originalName: method.name,
    };
  }
  return definition as ServiceDefinition;
}
