import type { Permission } from './permissions';

/**
 * The permission each RPC of Verdict's APIs requires, by full method name. Services authorize
 * with these tables; a method missing from its service's table is refused. Keeping them in one
 * place lets the mesh's AuthorizationPolicies and the docs be derived from the same source.
 */
type RpcPermissions = Readonly<Record<string, Permission>>;

function table(service: string, methods: Readonly<Record<string, Permission>>): RpcPermissions {
  return Object.fromEntries(
    Object.entries(methods).map(([method, permission]) => [`/${service}/${method}`, permission]),
  );
}

/** Open Inference Protocol v2 (model servers and routers alike). */
export const INFERENCE_PERMISSIONS: RpcPermissions = table('inference.GRPCInferenceService', {
  ServerLive: 'inference:invoke',
  ServerReady: 'inference:invoke',
  ServerMetadata: 'inference:invoke',
  ModelReady: 'inference:invoke',
  ModelMetadata: 'inference:invoke',
  ModelConfig: 'inference:invoke',
  ModelStatistics: 'inference:invoke',
  ModelInfer: 'inference:invoke',
  ModelStreamInfer: 'inference:invoke',
  RepositoryIndex: 'inference:invoke',
  RepositoryModelLoad: 'repository:admin',
  RepositoryModelUnload: 'repository:admin',
});

/**
 * verdict.registry.v1. Team scoping (a deployer moves only its team's aliases) and the stricter
 * `model:deploy:production` are checked by the registry per resource, on top of these.
 */
export const REGISTRY_PERMISSIONS: RpcPermissions = table('verdict.registry.v1.RegistryService', {
  CreateModel: 'model:publish',
  GetModel: 'model:read',
  ListModels: 'model:read',
  UploadVersion: 'model:publish',
  GetVersion: 'model:read',
  ListVersions: 'model:read',
  DownloadVersion: 'model:read',
  SetAlias: 'model:deploy',
  GetAlias: 'model:read',
  AliasHistory: 'model:read',
  WatchAliases: 'model:read',
  ArchiveVersion: 'model:admin',
  RewrapKeys: 'model:admin',
});

/** verdict.experiments.v1 (experiments, routing tables and event ingest) and verdict.drift.v1, both served by the analyzer. */
export const EXPERIMENTS_PERMISSIONS: RpcPermissions = {
  ...table('verdict.experiments.v1.ExperimentService', {
    CreateExperiment: 'experiment:write',
    UpdateExperiment: 'experiment:write',
    GetExperiment: 'experiment:read',
    ListExperiments: 'experiment:read',
    StartExperiment: 'experiment:write',
    PauseExperiment: 'experiment:write',
    StopExperiment: 'experiment:write',
    ConcludeExperiment: 'experiment:write',
    GetResults: 'experiment:read',
    ListDecisions: 'experiment:read',
  }),
  ...table('verdict.experiments.v1.RoutingService', {
    GetRoutingTable: 'experiment:read',
    WatchRoutingTable: 'experiment:read',
  }),
  ...table('verdict.experiments.v1.IngestService', {
    RecordExposures: 'experiment:ingest',
    RecordShadowComparisons: 'experiment:ingest',
    RecordOutcomes: 'experiment:ingest',
  }),
  ...table('verdict.drift.v1.DriftService', {
    PutReferenceProfile: 'model:publish',
    GetReferenceProfile: 'model:read',
    RecordInputSamples: 'experiment:ingest',
    GetDriftStatus: 'experiment:read',
    ListDriftAlerts: 'experiment:read',
  }),
};

/** verdict.audit.v1. */
export const AUDIT_PERMISSIONS: RpcPermissions = table('verdict.audit.v1.AuditService', {
  Append: 'audit:append',
  AppendStream: 'audit:append',
  GetCheckpoint: 'audit:read',
  GetInclusionProof: 'audit:read',
  GetConsistencyProof: 'audit:read',
  Query: 'audit:read',
  Export: 'audit:read',
});
