import { setMaxListeners } from 'node:events';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ServiceImpl } from '@verdict/grpc-kit';
import { isVerdictError } from '@verdict/errors';
import { inference } from '@verdict/proto';
import type { ModelManager } from './repository/model-manager';
import type { ModelVersion } from './repository/model-version';
import type { Duration } from './observability/version-statistics';
import type { Infer } from './inference/infer';
import { modelConfigMessage } from './inference/model-config-message';

/** Protocol extensions this server implements (ServerMetadata lists them). */
export const SERVER_EXTENSIONS = [
  'model_repository',
  'schedule_policy',
  'statistics',
  'model_configuration',
];

/** Options of {@link createInferenceHandlers}. */
export interface InferenceHandlerOptions {
  readonly manager: ModelManager;
  readonly infer: Infer;
  /** Whether the server has finished loading its models. */
  readonly isReady: () => boolean;
  /** ServerMetadata's name and version. */
  readonly serverName: string;
  readonly serverVersion: string;
}

type StreamResponse = MessageInitShape<typeof inference.ModelStreamInferResponseSchema>;

/** The handlers of inference.GRPCInferenceService over the model manager. */
export function createInferenceHandlers(
  options: InferenceHandlerOptions,
): ServiceImpl<(typeof inference.GRPCInferenceService)['method']> {
  const { manager, infer } = options;
  return {
    serverLive: () => ({ live: true }),
    serverReady: () => ({ ready: options.isReady() }),
    modelReady(request) {
      try {
        manager.resolve(request.name, request.version);
        return { ready: true };
      } catch {
        return { ready: false };
      }
    },
    serverMetadata: () => ({
      name: options.serverName,
      version: options.serverVersion,
      extensions: SERVER_EXTENSIONS,
    }),
    modelMetadata(request) {
      const version = manager.resolve(request.name, request.version);
      const tensor = (spec: ModelVersion['signature']['inputs'][number]) => ({
        name: spec.name,
        datatype: spec.datatype,
        shape: spec.shape.map(BigInt),
      });
      return {
        name: version.name,
        versions: manager
          .versions(request.name)
          .map((v) => String(v.version))
          .reverse(),
        platform: 'onnxruntime_onnx',
        inputs: version.signature.inputs.map(tensor),
        outputs: version.signature.outputs.map(tensor),
      };
    },
    modelInfer: (request, context) =>
      infer(request, { deadline: context.deadline, signal: context.signal }),
    modelStreamInfer: (requests, context) => streamInfer(requests, context.signal, infer),
    modelConfig: (request) => ({
      config: modelConfigMessage(manager.resolve(request.name, request.version)),
    }),
    modelStatistics(request) {
      const versions =
        request.name === ''
          ? manager.all()
          : request.version === ''
            ? manager.versions(request.name)
            : [manager.resolve(request.name, request.version)];
      return {
        modelStats: versions
          .sort((a, b) => a.name.localeCompare(b.name) || a.version - b.version)
          .map(statisticsMessage),
      };
    },
    async repositoryIndex(request) {
      const rows = await manager.index();
      return { models: request.ready ? rows.filter((row) => row.state === 'READY') : rows };
    },
    async repositoryModelLoad(request) {
      await manager.load(request.modelName);
      return {};
    },
    async repositoryModelUnload(request) {
      await manager.unload(request.modelName);
      return {};
    },
  };
}

const duration = (value: Duration) => ({ count: BigInt(value.count), ns: BigInt(value.ns) });

function statisticsMessage(
  version: ModelVersion,
): MessageInitShape<typeof inference.ModelStatisticsSchema> {
  const stats = version.statistics.snapshot();
  return {
    name: version.name,
    version: String(version.version),
    lastInference: BigInt(stats.lastInferenceMs),
    inferenceCount: BigInt(stats.inferenceCount),
    executionCount: BigInt(stats.executionCount),
    inferenceStats: {
      success: duration(stats.success),
      fail: duration(stats.fail),
      queue: duration(stats.queue),
      computeInput: duration(stats.computeInput),
      computeInfer: duration(stats.computeInfer),
      computeOutput: duration(stats.computeOutput),
    },
    batchStats: stats.batches.map((batch) => ({
      batchSize: BigInt(batch.batchSize),
      computeInput: duration(batch.computeInput),
      computeInfer: duration(batch.computeInfer),
      computeOutput: duration(batch.computeOutput),
    })),
  };
}

/**
 * Runs a stream's requests concurrently and answers each as it completes; a failed request is
 * answered with its id and error_message, and the stream goes on.
 */
async function* streamInfer(
  requests: AsyncIterable<inference.ModelInferRequest>,
  signal: AbortSignal,
  infer: Infer,
): AsyncIterable<StreamResponse> {
  const ready: StreamResponse[] = [];
  let wake: (() => void) | undefined;
  let open = 0;
  let inputDone = false;
  let inputError: unknown;
  // Every request of the stream listens on the stream's signal while it waits.
  setMaxListeners(0, signal);
  const push = (response: StreamResponse) => {
    ready.push(response);
    wake?.();
  };
  void (async () => {
    try {
      for await (const request of requests) {
        open++;
        infer(request, { signal }).then(
          (response) => {
            open--;
            push({ errorMessage: '', inferResponse: response });
          },
          (error: unknown) => {
            open--;
            push({
              errorMessage: isVerdictError(error) ? error.message : 'internal error',
              inferResponse: {
                id: request.id,
                modelName: request.modelName,
                modelVersion: request.modelVersion,
              },
            });
          },
        );
      }
    } catch (error) {
      inputError = error;
    } finally {
      inputDone = true;
      wake?.();
    }
  })();
  for (;;) {
    while (ready.length > 0) yield ready.shift()!;
    if (inputError !== undefined) throw inputError;
    if (inputDone && open === 0 && ready.length === 0) return;
    await new Promise<void>((resolve) => (wake = resolve));
    wake = undefined;
  }
}
