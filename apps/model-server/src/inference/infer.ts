import type { MessageInitShape } from '@bufbuild/protobuf';
import { Code, isVerdictError } from '@verdict/errors';
import type { inference } from '@verdict/proto';
import type { InputSampler } from '../drift/input-sampler';
import type { ModelMetrics } from '../observability/model-metrics';
import type { ModelManager } from '../repository/model-manager';
import { decodeInputs } from '../tensors/decode-inputs';
import { encodeOutputs } from '../tensors/encode-outputs';
import { readRequestParameters } from './request-parameters';

/** Where a request comes from, for deadlines and cancellation. */
export interface InferContext {
  readonly deadline?: Date;
  readonly signal?: AbortSignal;
}

/** Runs one ModelInferRequest: resolve, validate, queue, batch, run, answer with raw outputs. */
export type Infer = (
  request: inference.ModelInferRequest,
  context: InferContext,
) => Promise<MessageInitShape<typeof inference.ModelInferResponseSchema>>;

/** Options of {@link createInfer}. */
export interface InferOptions {
  readonly manager: ModelManager;
  readonly metrics: ModelMetrics;
  /** Largest decoded input tensor, in bytes (the message size limit). */
  readonly maxTensorBytes: number;
  /** Copies a sample of input rows for drift detection; none when absent. */
  readonly sampler?: InputSampler;
}

/** Creates the inference path shared by ModelInfer and ModelStreamInfer. */
export function createInfer(options: InferOptions): Infer {
  return async (request, context) => {
    const started = process.hrtime.bigint();
    const version = options.manager.resolve(request.modelName, request.modelVersion);
    const labels = { model: version.name, version: String(version.version) };
    try {
      const batcher = version.settings.batcher;
      const decoded = decodeInputs(request, version.signature, {
        maxBatchSize: batcher.maxBatchSize,
        maxTensorBytes: options.maxTensorBytes,
      });
      const parameters = readRequestParameters(request.parameters, batcher.priorityLevels);
      options.sampler?.offer(labels.model, labels.version, decoded.inputs, decoded.rows);
      const response = await version.batcher.submit({
        ...decoded,
        ...parameters,
        deadline: context.deadline,
        signal: context.signal,
      });
      version.statistics.recordSuccess(
        decoded.rows,
        response.queueNs,
        response.run,
        Number(process.hrtime.bigint() - started),
      );
      options.metrics.requests.inc({ ...labels, outcome: 'success', reason: '' });
      options.metrics.inferences.inc(labels, decoded.rows);
      options.metrics.queueSeconds.observe(labels, response.queueNs / 1e9);
      return {
        modelName: version.name,
        modelVersion: String(version.version),
        id: request.id,
        ...encodeOutputs(response.outputs),
      };
    } catch (error) {
      version.statistics.recordFailure(Number(process.hrtime.bigint() - started));
      const code = isVerdictError(error) ? error.code : Code.INTERNAL;
      options.metrics.requests.inc({
        ...labels,
        outcome: 'failure',
        reason: Code[code] ?? String(code),
      });
      throw error;
    }
  };
}
