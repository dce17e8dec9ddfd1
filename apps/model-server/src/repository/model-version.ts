import { readFile } from 'node:fs/promises';
import { InvalidArgumentError } from '@verdict/errors';
import { readOnnxSignature } from '@verdict/model-zoo';
import { createDynamicBatcher, type DynamicBatcher } from '../batching/dynamic-batcher';
import type { ModelMetrics } from '../observability/model-metrics';
import {
  createStatisticsRecorder,
  type StatisticsRecorder,
} from '../observability/version-statistics';
import { datatypeInfo, type Datatype } from '../tensors/datatypes';
import type { HostTensor, ModelSignature, TensorSpec } from '../tensors/host-tensor';
import { elementCount } from '../tensors/host-tensor';
import { createInstancePool, type InstancePool } from '../workers/instance-pool';
import type { ModelSettings } from './model-config';

/** One served version of a model: its signature, settings, workers, queue and statistics. */
export interface ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly path: string;
  /** Size and modification time of model.onnx when loaded: a reload keeps an unchanged version. */
  readonly fileStamp: string;
  readonly signature: ModelSignature;
  readonly settings: ModelSettings;
  readonly batcher: DynamicBatcher;
  readonly statistics: StatisticsRecorder;
  /** Finishes queued and running requests, then ends the workers. */
  retire(): Promise<void>;
}

/** Reads the ONNX file's signature, refusing datatypes ONNX Runtime's JavaScript binding cannot carry. */
export function signatureOf(bytes: Uint8Array): ModelSignature {
  const onnx = readOnnxSignature(bytes);
  const spec = (
    tensor: { name: string; datatype: string; shape: readonly number[] },
    role: string,
  ): TensorSpec => {
    if (datatypeInfo(tensor.datatype) === undefined) {
      throw new InvalidArgumentError({
        field: `${role} ${tensor.name}`,
        expected: 'a datatype onnxruntime-node can carry (not BF16)',
        received: tensor.datatype,
      });
    }
    return { name: tensor.name, datatype: tensor.datatype as Datatype, shape: tensor.shape };
  };
  return {
    inputs: onnx.inputs.map((t) => spec(t, 'input')),
    outputs: onnx.outputs.map((t) => spec(t, 'output')),
  };
}

/** Inputs with the signature's shapes (dynamic dimensions 1), to run once before taking traffic. */
export function warmupInputs(signature: ModelSignature): HostTensor[] {
  return signature.inputs.map((spec) => {
    const shape = spec.shape.map((dim) => (dim === -1 ? 1 : dim));
    const info = datatypeInfo(spec.datatype)!;
    const count = elementCount(shape);
    return {
      name: spec.name,
      datatype: spec.datatype,
      shape,
      data:
        info.array === undefined ? Array.from({ length: count }, () => '') : new info.array(count),
    };
  });
}

/** What {@link loadModelVersion} needs. */
export interface LoadModelVersionOptions {
  readonly name: string;
  readonly version: number;
  readonly path: string;
  readonly fileStamp: string;
  readonly bytes?: Uint8Array;
  readonly settings: (signature: ModelSignature) => ModelSettings;
  readonly metrics: ModelMetrics;
  readonly onProviderFallback: (reason: string) => void;
}

/** Loads a version into fresh workers and warms it up; it takes traffic once this resolves. */
export async function loadModelVersion(options: LoadModelVersionOptions): Promise<ModelVersion> {
  const bytes = options.bytes ?? (await readFile(options.path));
  const signature = signatureOf(bytes);
  const settings = options.settings(signature);
  const labels = { model: options.name, version: String(options.version) };
  const pool: InstancePool = await createInstancePool({
    count: settings.instanceCount,
    session: { ...settings.session, modelPath: options.path },
    onProviderFallback: (reason) => {
      options.metrics.providerFallbacks.inc(labels);
      options.onProviderFallback(reason);
    },
  });
  try {
    // One run per instance in parallel, so each session has allocated its buffers before traffic.
    await Promise.all(
      Array.from({ length: pool.count }, () =>
        pool.run(
          warmupInputs(signature),
          signature.outputs.map((o) => o.name),
        ),
      ),
    );
  } catch (error) {
    await pool.close();
    throw error;
  }
  const statistics = createStatisticsRecorder();
  const batcher = createDynamicBatcher(settings.batcher, pool, {
    onExecution(rows, run) {
      statistics.recordExecution(rows, run);
      options.metrics.executions.inc(labels);
      options.metrics.batchSize.observe(labels, rows);
      options.metrics.computeSeconds.observe(
        labels,
        (run.inputNs + run.inferNs + run.outputNs) / 1e9,
      );
    },
  });
  options.metrics.instances.set(labels, pool.count);
  return {
    name: options.name,
    version: options.version,
    path: options.path,
    fileStamp: options.fileStamp,
    signature,
    settings,
    batcher,
    statistics,
    async retire() {
      await batcher.drain();
      await pool.close();
      options.metrics.instances.remove(labels);
    },
  };
}
