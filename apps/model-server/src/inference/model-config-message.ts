import type { MessageInitShape } from '@bufbuild/protobuf';
import { inferenceConfig } from '@verdict/proto';
import type { ModelVersion } from '../repository/model-version';
import type { Datatype } from '../tensors/datatypes';
import type { TensorSpec } from '../tensors/host-tensor';

const DATA_TYPES: Record<Datatype, inferenceConfig.DataType> = {
  BOOL: inferenceConfig.DataType.TYPE_BOOL,
  UINT8: inferenceConfig.DataType.TYPE_UINT8,
  UINT16: inferenceConfig.DataType.TYPE_UINT16,
  UINT32: inferenceConfig.DataType.TYPE_UINT32,
  UINT64: inferenceConfig.DataType.TYPE_UINT64,
  INT8: inferenceConfig.DataType.TYPE_INT8,
  INT16: inferenceConfig.DataType.TYPE_INT16,
  INT32: inferenceConfig.DataType.TYPE_INT32,
  INT64: inferenceConfig.DataType.TYPE_INT64,
  FP16: inferenceConfig.DataType.TYPE_FP16,
  FP32: inferenceConfig.DataType.TYPE_FP32,
  FP64: inferenceConfig.DataType.TYPE_FP64,
  BYTES: inferenceConfig.DataType.TYPE_STRING,
};

/** A served version's effective configuration, as Triton's ModelConfig (dims without the batch dimension). */
export function modelConfigMessage(
  version: ModelVersion,
): MessageInitShape<typeof inferenceConfig.ModelConfigSchema> {
  const { batcher, versionPolicy, session } = version.settings;
  const dims = (spec: TensorSpec) =>
    (batcher.maxBatchSize > 0 ? spec.shape.slice(1) : spec.shape).map(BigInt);
  return {
    name: version.name,
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    maxBatchSize: batcher.maxBatchSize,
    input: version.signature.inputs.map((spec) => ({
      name: spec.name,
      dataType: DATA_TYPES[spec.datatype],
      dims: dims(spec),
    })),
    output: version.signature.outputs.map((spec) => ({
      name: spec.name,
      dataType: DATA_TYPES[spec.datatype],
      dims: dims(spec),
    })),
    versionPolicy: {
      policyChoice:
        versionPolicy.kind === 'latest'
          ? { case: 'latest', value: { numVersions: versionPolicy.numVersions } }
          : versionPolicy.kind === 'all'
            ? { case: 'all', value: {} }
            : { case: 'specific', value: { versions: versionPolicy.versions.map(BigInt) } },
    },
    instanceGroup: [
      {
        name: `${version.name}_0`,
        count: version.settings.instanceCount,
        kind:
          session.executionProvider === 'cuda'
            ? inferenceConfig.ModelInstanceGroup_Kind.GPU
            : inferenceConfig.ModelInstanceGroup_Kind.CPU,
      },
    ],
    schedulingChoice: batcher.dynamic
      ? {
          case: 'dynamicBatching',
          value: {
            preferredBatchSize: [...batcher.preferredBatchSizes],
            maxQueueDelayMicroseconds: BigInt(batcher.maxQueueDelayMicroseconds),
            priorityLevels: BigInt(batcher.priorityLevels),
            defaultPriorityLevel: BigInt(batcher.defaultPriorityLevel),
            defaultQueuePolicy: {
              maxQueueSize: batcher.maxQueueSize,
              defaultTimeoutMicroseconds: BigInt(batcher.defaultTimeoutMicroseconds),
            },
          },
        }
      : { case: undefined },
    defaultModelFilename: 'model.onnx',
  };
}
