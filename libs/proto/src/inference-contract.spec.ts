import { ScalarType, type DescEnum, type DescField, type DescMessage } from '@bufbuild/protobuf';
import { health, inference, inferenceConfig, reflectionV1, reflectionV1alpha } from './index';

// The declarations below were read from the published Triton definitions
// (triton-inference-server/common protobuf/grpc_service.proto and model_config.proto) and from
// grpc/grpc-proto. They restate the wire contract independently of proto/, so that a renumbered,
// retyped or renamed field fails here even though buf and protoc-gen-es accept it.

/** Renders a field the way a .proto file declares it, e.g. `repeated bytes raw_input_contents = 7`. */
function declaration(field: DescField): string {
  const scalarName = (scalar: ScalarType): string => ScalarType[scalar].toLowerCase();
  let type: string;
  switch (field.fieldKind) {
    case 'scalar':
      type = scalarName(field.scalar);
      break;
    case 'enum':
      type = field.enum.typeName;
      break;
    case 'message':
      type = field.message.typeName;
      break;
    case 'list': {
      const element =
        field.listKind === 'scalar'
          ? scalarName(field.scalar)
          : field.listKind === 'enum'
            ? field.enum.typeName
            : field.message.typeName;
      type = `repeated ${element}`;
      break;
    }
    case 'map': {
      const value =
        field.mapKind === 'scalar'
          ? scalarName(field.scalar)
          : field.mapKind === 'enum'
            ? field.enum.typeName
            : field.message.typeName;
      type = `map<${scalarName(field.mapKey)}, ${value}>`;
      break;
    }
  }
  const oneof = field.oneof ? ` (oneof ${field.oneof.name})` : '';
  return `${type} ${field.name} = ${field.number}${oneof}`;
}

function declarations(message: DescMessage): string[] {
  return message.fields.map(declaration).sort();
}

function enumValues(descEnum: DescEnum): string[] {
  return descEnum.values.map((value) => `${value.name} = ${value.number}`);
}

const expectedMessages: Array<[DescMessage, string[]]> = [
  [inference.ServerLiveResponseSchema, ['bool live = 1']],
  [inference.ServerReadyResponseSchema, ['bool ready = 1']],
  [inference.ModelReadyRequestSchema, ['string name = 1', 'string version = 2']],
  [inference.ModelReadyResponseSchema, ['bool ready = 1']],
  [
    inference.ServerMetadataResponseSchema,
    ['string name = 1', 'string version = 2', 'repeated string extensions = 3'],
  ],
  [inference.ModelMetadataRequestSchema, ['string name = 1', 'string version = 2']],
  [
    inference.ModelMetadataResponseSchema,
    [
      'string name = 1',
      'repeated string versions = 2',
      'string platform = 3',
      'repeated inference.ModelMetadataResponse.TensorMetadata inputs = 4',
      'repeated inference.ModelMetadataResponse.TensorMetadata outputs = 5',
    ],
  ],
  [
    inference.ModelMetadataResponse_TensorMetadataSchema,
    ['string name = 1', 'string datatype = 2', 'repeated int64 shape = 3'],
  ],
  [
    inference.InferParameterSchema,
    [
      'bool bool_param = 1 (oneof parameter_choice)',
      'int64 int64_param = 2 (oneof parameter_choice)',
      'string string_param = 3 (oneof parameter_choice)',
      'double double_param = 4 (oneof parameter_choice)',
      'uint64 uint64_param = 5 (oneof parameter_choice)',
    ],
  ],
  [
    inference.InferTensorContentsSchema,
    [
      'repeated bool bool_contents = 1',
      'repeated int32 int_contents = 2',
      'repeated int64 int64_contents = 3',
      'repeated uint32 uint_contents = 4',
      'repeated uint64 uint64_contents = 5',
      'repeated float fp32_contents = 6',
      'repeated double fp64_contents = 7',
      'repeated bytes bytes_contents = 8',
    ],
  ],
  [
    inference.ModelInferRequestSchema,
    [
      'string model_name = 1',
      'string model_version = 2',
      'string id = 3',
      'map<string, inference.InferParameter> parameters = 4',
      'repeated inference.ModelInferRequest.InferInputTensor inputs = 5',
      'repeated inference.ModelInferRequest.InferRequestedOutputTensor outputs = 6',
      'repeated bytes raw_input_contents = 7',
    ],
  ],
  [
    inference.ModelInferRequest_InferInputTensorSchema,
    [
      'string name = 1',
      'string datatype = 2',
      'repeated int64 shape = 3',
      'map<string, inference.InferParameter> parameters = 4',
      'inference.InferTensorContents contents = 5',
    ],
  ],
  [
    inference.ModelInferRequest_InferRequestedOutputTensorSchema,
    ['string name = 1', 'map<string, inference.InferParameter> parameters = 2'],
  ],
  [
    inference.ModelInferResponseSchema,
    [
      'string model_name = 1',
      'string model_version = 2',
      'string id = 3',
      'map<string, inference.InferParameter> parameters = 4',
      'repeated inference.ModelInferResponse.InferOutputTensor outputs = 5',
      'repeated bytes raw_output_contents = 6',
    ],
  ],
  [
    inference.ModelInferResponse_InferOutputTensorSchema,
    [
      'string name = 1',
      'string datatype = 2',
      'repeated int64 shape = 3',
      'map<string, inference.InferParameter> parameters = 4',
      'inference.InferTensorContents contents = 5',
    ],
  ],
  [
    inference.ModelStreamInferResponseSchema,
    ['string error_message = 1', 'inference.ModelInferResponse infer_response = 2'],
  ],
  [inference.ModelConfigRequestSchema, ['string name = 1', 'string version = 2']],
  [inference.ModelConfigResponseSchema, ['inference.ModelConfig config = 1']],
  [inference.ModelStatisticsRequestSchema, ['string name = 1', 'string version = 2']],
  [inference.StatisticDurationSchema, ['uint64 count = 1', 'uint64 ns = 2']],
  [
    inference.InferStatisticsSchema,
    [
      'inference.StatisticDuration success = 1',
      'inference.StatisticDuration fail = 2',
      'inference.StatisticDuration queue = 3',
      'inference.StatisticDuration compute_input = 4',
      'inference.StatisticDuration compute_infer = 5',
      'inference.StatisticDuration compute_output = 6',
      'inference.StatisticDuration cache_hit = 7',
      'inference.StatisticDuration cache_miss = 8',
    ],
  ],
  [
    inference.InferBatchStatisticsSchema,
    [
      'uint64 batch_size = 1',
      'inference.StatisticDuration compute_input = 2',
      'inference.StatisticDuration compute_infer = 3',
      'inference.StatisticDuration compute_output = 4',
    ],
  ],
  [inference.MemoryUsageSchema, ['string type = 1', 'int64 id = 2', 'uint64 byte_size = 3']],
  [
    inference.ModelStatisticsSchema,
    [
      'string name = 1',
      'string version = 2',
      'uint64 last_inference = 3',
      'uint64 inference_count = 4',
      'uint64 execution_count = 5',
      'inference.InferStatistics inference_stats = 6',
      'repeated inference.InferBatchStatistics batch_stats = 7',
      'repeated inference.MemoryUsage memory_usage = 8',
      'map<string, inference.InferResponseStatistics> response_stats = 9',
    ],
  ],
  [inference.ModelStatisticsResponseSchema, ['repeated inference.ModelStatistics model_stats = 1']],
  [
    inference.ModelRepositoryParameterSchema,
    [
      'bool bool_param = 1 (oneof parameter_choice)',
      'int64 int64_param = 2 (oneof parameter_choice)',
      'string string_param = 3 (oneof parameter_choice)',
      'bytes bytes_param = 4 (oneof parameter_choice)',
    ],
  ],
  [inference.RepositoryIndexRequestSchema, ['string repository_name = 1', 'bool ready = 2']],
  [
    inference.RepositoryIndexResponseSchema,
    ['repeated inference.RepositoryIndexResponse.ModelIndex models = 1'],
  ],
  [
    inference.RepositoryIndexResponse_ModelIndexSchema,
    ['string name = 1', 'string version = 2', 'string state = 3', 'string reason = 4'],
  ],
  [
    inference.RepositoryModelLoadRequestSchema,
    [
      'string repository_name = 1',
      'string model_name = 2',
      'map<string, inference.ModelRepositoryParameter> parameters = 3',
    ],
  ],
  [
    inference.RepositoryModelUnloadRequestSchema,
    [
      'string repository_name = 1',
      'string model_name = 2',
      'map<string, inference.ModelRepositoryParameter> parameters = 3',
    ],
  ],
  [
    inferenceConfig.ModelConfigSchema,
    [
      'string name = 1',
      'string platform = 2',
      'inference.ModelVersionPolicy version_policy = 3',
      'int32 max_batch_size = 4',
      'repeated inference.ModelInput input = 5',
      'repeated inference.ModelOutput output = 6',
      'repeated inference.ModelInstanceGroup instance_group = 7',
      'string default_model_filename = 8',
      'inference.ModelDynamicBatching dynamic_batching = 11 (oneof scheduling_choice)',
      'inference.ModelOptimizationPolicy optimization = 12',
      'map<string, inference.ModelParameter> parameters = 14',
      'repeated inference.ModelWarmup model_warmup = 16',
      'string backend = 17',
    ],
  ],
  [
    inferenceConfig.ModelInputSchema,
    [
      'string name = 1',
      'inference.DataType data_type = 2',
      'inference.ModelInput.Format format = 3',
      'repeated int64 dims = 4',
      'inference.ModelTensorReshape reshape = 5',
      'bool is_shape_tensor = 6',
      'bool allow_ragged_batch = 7',
      'bool optional = 8',
    ],
  ],
  [
    inferenceConfig.ModelOutputSchema,
    [
      'string name = 1',
      'inference.DataType data_type = 2',
      'repeated int64 dims = 3',
      'string label_filename = 4',
      'inference.ModelTensorReshape reshape = 5',
      'bool is_shape_tensor = 6',
    ],
  ],
  [
    inferenceConfig.ModelInstanceGroupSchema,
    [
      'string name = 1',
      'int32 count = 2',
      'repeated int32 gpus = 3',
      'inference.ModelInstanceGroup.Kind kind = 4',
      'bool passive = 7',
      'string host_policy = 9',
    ],
  ],
  [
    inferenceConfig.ModelVersionPolicySchema,
    [
      'inference.ModelVersionPolicy.Latest latest = 1 (oneof policy_choice)',
      'inference.ModelVersionPolicy.All all = 2 (oneof policy_choice)',
      'inference.ModelVersionPolicy.Specific specific = 3 (oneof policy_choice)',
    ],
  ],
  [
    inferenceConfig.ModelQueuePolicySchema,
    [
      'inference.ModelQueuePolicy.TimeoutAction timeout_action = 1',
      'uint64 default_timeout_microseconds = 2',
      'bool allow_timeout_override = 3',
      'uint32 max_queue_size = 4',
    ],
  ],
  [
    inferenceConfig.ModelDynamicBatchingSchema,
    [
      'repeated int32 preferred_batch_size = 1',
      'uint64 max_queue_delay_microseconds = 2',
      'bool preserve_ordering = 3',
      'uint64 priority_levels = 4',
      'uint64 default_priority_level = 5',
      'inference.ModelQueuePolicy default_queue_policy = 6',
      'map<uint64, inference.ModelQueuePolicy> priority_queue_policy = 7',
    ],
  ],
  [
    inferenceConfig.ModelOptimizationPolicySchema,
    [
      'inference.ModelOptimizationPolicy.Graph graph = 1',
      'inference.ModelOptimizationPolicy.ModelPriority priority = 2',
      'inference.ModelOptimizationPolicy.ExecutionAccelerators execution_accelerators = 4',
      'inference.ModelOptimizationPolicy.PinnedMemoryBuffer input_pinned_memory = 5',
      'inference.ModelOptimizationPolicy.PinnedMemoryBuffer output_pinned_memory = 6',
    ],
  ],
  [
    inferenceConfig.ModelWarmupSchema,
    [
      'string name = 1',
      'uint32 batch_size = 2',
      'map<string, inference.ModelWarmup.Input> inputs = 3',
      'uint32 count = 4',
    ],
  ],
  [
    inferenceConfig.ModelWarmup_InputSchema,
    [
      'inference.DataType data_type = 1',
      'repeated int64 dims = 2',
      'bool zero_data = 3 (oneof input_data_type)',
      'bool random_data = 4 (oneof input_data_type)',
      'string input_data_file = 5 (oneof input_data_type)',
    ],
  ],
  [health.HealthCheckRequestSchema, ['string service = 1']],
  [
    health.HealthCheckResponseSchema,
    ['grpc.health.v1.HealthCheckResponse.ServingStatus status = 1'],
  ],
  ...[reflectionV1, reflectionV1alpha].map((reflection): [DescMessage, string[]] => [
    reflection.ServerReflectionRequestSchema,
    [
      'string host = 1',
      'string file_by_filename = 3 (oneof message_request)',
      'string file_containing_symbol = 4 (oneof message_request)',
      `${reflection.ExtensionRequestSchema.typeName} file_containing_extension = 5 (oneof message_request)`,
      'string all_extension_numbers_of_type = 6 (oneof message_request)',
      'string list_services = 7 (oneof message_request)',
    ],
  ]),
];

describe('Open Inference Protocol contract', () => {
  it.each(expectedMessages.map(([schema, fields]) => [schema.typeName, schema, fields] as const))(
    '%s declares the published fields',
    (_name, schema, fields) => {
      expect(declarations(schema)).toEqual([...fields].sort());
    },
  );

  it('declares the published enum values', () => {
    expect(enumValues(inferenceConfig.DataTypeSchema)).toEqual([
      'TYPE_INVALID = 0',
      'TYPE_BOOL = 1',
      'TYPE_UINT8 = 2',
      'TYPE_UINT16 = 3',
      'TYPE_UINT32 = 4',
      'TYPE_UINT64 = 5',
      'TYPE_INT8 = 6',
      'TYPE_INT16 = 7',
      'TYPE_INT32 = 8',
      'TYPE_INT64 = 9',
      'TYPE_FP16 = 10',
      'TYPE_FP32 = 11',
      'TYPE_FP64 = 12',
      'TYPE_STRING = 13',
      'TYPE_BF16 = 14',
    ]);
    expect(enumValues(inferenceConfig.ModelInstanceGroup_KindSchema)).toEqual([
      'KIND_AUTO = 0',
      'KIND_GPU = 1',
      'KIND_CPU = 2',
      'KIND_MODEL = 3',
    ]);
    expect(enumValues(inferenceConfig.ModelQueuePolicy_TimeoutActionSchema)).toEqual([
      'REJECT = 0',
      'DELAY = 1',
    ]);
    expect(enumValues(health.HealthCheckResponse_ServingStatusSchema)).toEqual([
      'UNKNOWN = 0',
      'SERVING = 1',
      'NOT_SERVING = 2',
      'SERVICE_UNKNOWN = 3',
    ]);
  });

  it('serves the Triton RPCs under their published paths and streaming kinds', () => {
    const service = inference.GRPCInferenceService;
    expect(service.typeName).toBe('inference.GRPCInferenceService');
    const methods = service.methods.map((method) => `${method.name} ${method.methodKind}`);
    expect(methods).toEqual([
      'ServerLive unary',
      'ServerReady unary',
      'ModelReady unary',
      'ServerMetadata unary',
      'ModelMetadata unary',
      'ModelInfer unary',
      'ModelStreamInfer bidi_streaming',
      'ModelConfig unary',
      'ModelStatistics unary',
      'RepositoryIndex unary',
      'RepositoryModelLoad unary',
      'RepositoryModelUnload unary',
    ]);
    expect(service.method.modelStreamInfer.input).toBe(inference.ModelInferRequestSchema);
    expect(service.method.modelStreamInfer.output).toBe(inference.ModelStreamInferResponseSchema);
  });

  it('serves health and reflection under the names grpc tools call', () => {
    expect(health.Health.typeName).toBe('grpc.health.v1.Health');
    expect(health.Health.methods.map((m) => `${m.name} ${m.methodKind}`)).toEqual([
      'Check unary',
      'Watch server_streaming',
    ]);
    expect(reflectionV1.ServerReflection.typeName).toBe('grpc.reflection.v1.ServerReflection');
    expect(reflectionV1alpha.ServerReflection.typeName).toBe(
      'grpc.reflection.v1alpha.ServerReflection',
    );
    for (const reflection of [reflectionV1, reflectionV1alpha]) {
      expect(reflection.ServerReflection.method.serverReflectionInfo.methodKind).toBe(
        'bidi_streaming',
      );
    }
  });
});
