/**
 * Generated protobuf-es code for every contract in proto/, one namespace per .proto file.
 * The code under ./gen is produced by `npm run generate` and never edited by hand.
 *
 * @packageDocumentation
 */

// Namespace re-exports keep each file's hundreds of generated names behind one explicit name.
export * as inference from './gen/inference/grpc_service_pb';
export * as inferenceConfig from './gen/inference/model_config_pb';
export * as health from './gen/grpc/health/v1/health_pb';
export * as reflectionV1 from './gen/grpc/reflection/v1/reflection_pb';
export * as reflectionV1alpha from './gen/grpc/reflection/v1alpha/reflection_pb';
export * as registryV1 from './gen/verdict/registry/v1/registry_pb';
export * as experimentsV1 from './gen/verdict/experiments/v1/experiments_pb';
export * as auditV1 from './gen/verdict/audit/v1/audit_pb';
export * as driftV1 from './gen/verdict/drift/v1/drift_pb';
export { fileDescriptors } from './file-descriptors';
