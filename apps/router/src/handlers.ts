import { create, toBinary } from '@bufbuild/protobuf';
import { UnimplementedError } from '@verdict/errors';
import type { RawServiceImpl } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import type { InferenceRouter } from './routing/inference-router';

/** Options of {@link createInferenceHandlers}. */
export interface InferenceHandlerOptions {
  /** Reported by ServerMetadata. @default '0.1.0' */
  version?: string;
}

/**
 * The router's GRPCInferenceService, on raw bytes so that requests are forwarded without being
 * decoded: the server calls answer here, the model calls go to the router, and the repository
 * and statistics calls belong to the model servers.
 */
export function createInferenceHandlers(
  router: InferenceRouter,
  options: InferenceHandlerOptions = {},
): RawServiceImpl<(typeof inference.GRPCInferenceService)['method']> {
  const encode = <S extends Parameters<typeof create>[0]>(schema: S, init: object) =>
    Buffer.from(toBinary(schema, create(schema, init as never)));
  const elsewhere = (method: string) => async (): Promise<Buffer> => {
    throw new UnimplementedError(`${method} on the router (ask a model server)`);
  };
  return {
    serverLive: async () => encode(inference.ServerLiveResponseSchema, { live: true }),
    serverReady: async () => encode(inference.ServerReadyResponseSchema, { ready: router.ready() }),
    serverMetadata: async () =>
      encode(inference.ServerMetadataResponseSchema, {
        name: 'verdict-router',
        version: options.version ?? '0.1.0',
        extensions: [],
      }),
    modelReady: (request, context) => router.forwardModelCall('modelReady', request, context),
    modelMetadata: (request, context) => router.forwardModelCall('modelMetadata', request, context),
    modelConfig: (request, context) => router.forwardModelCall('modelConfig', request, context),
    modelInfer: async (request, context) => {
      const outcome = await router.infer(request, context);
      if (outcome.error !== undefined) throw outcome.error;
      return outcome.response!;
    },
    modelStreamInfer: (requests, context) => router.streamInfer(requests, context),
    modelStatistics: elsewhere('ModelStatistics'),
    repositoryIndex: elsewhere('RepositoryIndex'),
    repositoryModelLoad: elsewhere('RepositoryModelLoad'),
    repositoryModelUnload: elsewhere('RepositoryModelUnload'),
  };
}
