import { create, equals, fromBinary, fromJson, toBinary, toJson } from '@bufbuild/protobuf';
import { BinaryReader, BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { inference, inferenceConfig } from './index';

const {
  DataType,
  ModelConfigSchema,
  ModelInput_Format,
  ModelInstanceGroup_Kind,
  ModelOptimizationPolicy_ModelPriority,
  ModelQueuePolicy_TimeoutAction,
} = inferenceConfig;

/** A batching ONNX classifier configured the way the model server's config.yaml describes one. */
function spamConfig(): inferenceConfig.ModelConfig {
  return create(ModelConfigSchema, {
    name: 'spam',
    platform: 'onnxruntime_onnx',
    backend: 'onnxruntime',
    versionPolicy: { policyChoice: { case: 'latest', value: { numVersions: 2 } } },
    maxBatchSize: 32,
    input: [
      {
        name: 'features',
        dataType: DataType.TYPE_FP32,
        format: ModelInput_Format.NONE,
        dims: [-1n],
      },
    ],
    output: [
      {
        name: 'probabilities',
        dataType: DataType.TYPE_FP32,
        dims: [2n],
        labelFilename: 'labels.txt',
      },
    ],
    instanceGroup: [{ name: 'spam_cpu', kind: ModelInstanceGroup_Kind.CPU, count: 2 }],
    defaultModelFilename: 'model.onnx',
    schedulingChoice: {
      case: 'dynamicBatching',
      value: {
        preferredBatchSize: [8, 16],
        maxQueueDelayMicroseconds: 500n,
        priorityLevels: 2n,
        defaultPriorityLevel: 2n,
        defaultQueuePolicy: {
          timeoutAction: ModelQueuePolicy_TimeoutAction.REJECT,
          defaultTimeoutMicroseconds: 100000n,
          allowTimeoutOverride: true,
          maxQueueSize: 1024,
        },
        priorityQueuePolicy: {
          '1': { maxQueueSize: 64, timeoutAction: ModelQueuePolicy_TimeoutAction.DELAY },
        },
      },
    },
    optimization: {
      graph: { level: 1 },
      priority: ModelOptimizationPolicy_ModelPriority.PRIORITY_MAX,
      executionAccelerators: {
        gpuExecutionAccelerator: [{ name: 'tensorrt', parameters: { precision_mode: 'FP16' } }],
      },
    },
    parameters: { intra_op_thread_count: { stringValue: '1' } },
    modelWarmup: [
      {
        name: 'zeros',
        batchSize: 1,
        inputs: {
          features: {
            dataType: DataType.TYPE_FP32,
            dims: [64n],
            inputDataType: { case: 'zeroData', value: true },
          },
        },
        count: 1,
      },
    ],
  });
}

describe('ModelConfig', () => {
  it('survives a binary round trip unchanged', () => {
    const config = spamConfig();
    const decoded = fromBinary(ModelConfigSchema, toBinary(ModelConfigSchema, config));
    expect(equals(ModelConfigSchema, decoded, config)).toBe(true);
    expect(decoded.schedulingChoice.case).toBe('dynamicBatching');
    expect(decoded.instanceGroup[0].kind).toBe(ModelInstanceGroup_Kind.CPU);
  });

  it('survives a JSON round trip with the field names Triton prints', () => {
    const config = spamConfig();
    const json = toJson(ModelConfigSchema, config);
    expect(json).toMatchObject({
      name: 'spam',
      maxBatchSize: 32,
      dynamicBatching: { preferredBatchSize: [8, 16], maxQueueDelayMicroseconds: '500' },
      instanceGroup: [{ kind: 'KIND_CPU', count: 2 }],
    });
    expect(equals(ModelConfigSchema, fromJson(ModelConfigSchema, json), config)).toBe(true);
  });

  it('travels inside ModelConfigResponse at field 1', () => {
    const response = create(inference.ModelConfigResponseSchema, { config: spamConfig() });
    const reader = new BinaryReader(toBinary(inference.ModelConfigResponseSchema, response));
    expect(reader.tag()).toEqual([1, WireType.LengthDelimited]);
    const decoded = fromBinary(ModelConfigSchema, reader.bytes());
    expect(equals(ModelConfigSchema, decoded, spamConfig())).toBe(true);
  });

  it('keeps Triton fields it does not model, so a proxy forwards them intact', () => {
    const writer = new BinaryWriter();
    writer.tag(1, WireType.LengthDelimited).string('seq');
    // sequence_batching (13) with max_sequence_idle_microseconds (1) = 5000
    writer.tag(13, WireType.LengthDelimited).fork().tag(1, WireType.Varint).uint64(5000n).join();
    const original = writer.finish();
    const decoded = fromBinary(ModelConfigSchema, original);
    expect(decoded.name).toBe('seq');
    expect(toBinary(ModelConfigSchema, decoded)).toEqual(original);
  });
});
