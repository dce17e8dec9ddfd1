import type { DescFile } from '@bufbuild/protobuf';
import { file_grpc_health_v1_health } from './gen/grpc/health/v1/health_pb';
import { file_grpc_reflection_v1_reflection } from './gen/grpc/reflection/v1/reflection_pb';
import { file_grpc_reflection_v1alpha_reflection } from './gen/grpc/reflection/v1alpha/reflection_pb';
import { file_inference_grpc_service } from './gen/inference/grpc_service_pb';
import { file_inference_model_config } from './gen/inference/model_config_pb';
import { file_verdict_audit_v1_audit } from './gen/verdict/audit/v1/audit_pb';
import { file_verdict_drift_v1_drift } from './gen/verdict/drift/v1/drift_pb';
import { file_verdict_experiments_v1_experiments } from './gen/verdict/experiments/v1/experiments_pb';
import { file_verdict_registry_v1_registry } from './gen/verdict/registry/v1/registry_pb';

/** The files of the proto/ module, one per .proto, in no particular order. */
const moduleFiles: readonly DescFile[] = [
  file_inference_grpc_service,
  file_inference_model_config,
  file_grpc_health_v1_health,
  file_grpc_reflection_v1_reflection,
  file_grpc_reflection_v1alpha_reflection,
  file_verdict_registry_v1_registry,
  file_verdict_experiments_v1_experiments,
  file_verdict_audit_v1_audit,
  file_verdict_drift_v1_drift,
];

/**
 * Orders files so that every file comes after all of its imports, each file once.
 * Server reflection answers a symbol lookup with the declaring file and everything it imports,
 * and clients such as grpcurl build their descriptor pool in the order they receive files.
 */
function withDependencies(roots: readonly DescFile[]): readonly DescFile[] {
  const ordered: DescFile[] = [];
  const seen = new Set<string>();
  const visit = (file: DescFile): void => {
    if (seen.has(file.name)) return;
    seen.add(file.name);
    for (const dependency of file.dependencies) visit(dependency);
    ordered.push(file);
  };
  for (const root of roots) visit(root);
  return ordered;
}

/**
 * Every generated file descriptor, plus the well-known types they import
 * (`google/protobuf/timestamp.proto`, `google/protobuf/duration.proto`), imports first.
 * `file.proto` of each entry is the `FileDescriptorProto` a server-reflection service sends.
 */
export const fileDescriptors: readonly DescFile[] = withDependencies(moduleFiles);
