import { fileDescriptors } from './index';

describe('fileDescriptors', () => {
  const names = fileDescriptors.map((file) => file.name);

  it('lists every contract file and the well-known types they import, each once', () => {
    expect([...names].sort()).toEqual([
      'google/protobuf/duration',
      'google/protobuf/timestamp',
      'grpc/health/v1/health',
      'grpc/reflection/v1/reflection',
      'grpc/reflection/v1alpha/reflection',
      'inference/grpc_service',
      'inference/model_config',
      'verdict/audit/v1/audit',
      'verdict/drift/v1/drift',
      'verdict/experiments/v1/experiments',
      'verdict/registry/v1/registry',
    ]);
  });

  it('puts every file after the files it imports', () => {
    for (const [position, file] of fileDescriptors.entries()) {
      for (const dependency of file.dependencies) {
        expect(names.indexOf(dependency.name)).toBeLessThan(position);
      }
    }
  });

  it('carries the FileDescriptorProto a reflection service sends', () => {
    const grpcService = fileDescriptors.find((file) => file.name === 'inference/grpc_service');
    expect(grpcService?.proto.name).toBe('inference/grpc_service.proto');
    expect(grpcService?.proto.dependency).toEqual(['inference/model_config.proto']);
    expect(grpcService?.services.map((service) => service.typeName)).toEqual([
      'inference.GRPCInferenceService',
    ]);
  });
});
