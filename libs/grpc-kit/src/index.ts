export type {
  CallContext,
  RequestHeaders,
  MethodImpl,
  ServiceImpl,
  RawMethodImpl,
  RawServiceImpl,
} from './types';
export { createServer, DEFAULT_MAX_MESSAGE_BYTES } from './server';
export type { KitServer, ServerOptions } from './server';
export { createClient, createRawClient } from './client';
export { EncodedMessage, bytesFieldMessage } from './codec';
export type {
  CallOptions,
  ClientOptions,
  ClientMethod,
  RawClientMethod,
  TypedClient,
  RawClient,
  ClientHandle,
} from './client';
/** The generated service types createClient takes, for helpers generic over services. */
export type { GenService, GenServiceMethods } from '@bufbuild/protobuf/codegenv2';
export { serverCredentials, channelCredentials, transportOfConfig } from './credentials';
export type {
  TransportOptions,
  ClientTransportOptions,
  MutualTlsFiles,
  MeshTransport,
} from './credentials';
export { createMethodAuthorizer, isOpenMethod } from './authorization';
export type {
  Authorize,
  AuthorizationRequest,
  DenialEvent,
  PermissionEvaluator,
} from './authorization';
export { resolvePrincipal } from './identity';
export type { AuthenticationOptions, TokenVerifier } from './identity';
export type { ServerInterceptor, RpcMetricsRecorder } from './interceptors';
export type { CallState } from './call-state';
export type { HealthStatus } from './health';
export { mapError, statusCodeOf } from './error-mapping';
export { methodPath } from './service-definition';
export { silentLogger } from './logger';
export type { KitLogger } from './logger';
export { installShutdownHandlers } from './shutdown';
export type { ShutdownReason, ShutdownSignalOptions } from './shutdown';
export { runService } from './service-runtime';
export type {
  RunningService,
  ServiceAuditSink,
  ServiceContext,
  ServiceRuntimeOptions,
} from './service-runtime';
export { AUDIT_SPOOL_FILE, denialRecord } from './service-audit';
export { createGrpcAuditTransport } from './audit-transport';
export type { GrpcAuditTransportOptions } from './audit-transport';
export { runServiceProcess, CONFIG_ERROR_EXIT_CODE } from './service-process';
export { guardUnhandledRejections, UNHANDLED_REJECTIONS_METRIC } from './rejection-guard';
export type { RejectionGuard, RejectionGuardOptions } from './rejection-guard';
export { unimplementedService } from './unimplemented';
export { startSiblingWorker } from './sibling-worker';
