import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import { createClient, type ServiceContext } from '@verdict/grpc-kit';
import { driftV1, inference, registryV1 } from '@verdict/proto';
import { Counter } from '@verdict/telemetry';
import type { Config } from './config';
import { createInputSampler, type InputSampler } from './drift/input-sampler';
import { createModelMetrics } from './observability/model-metrics';
import { createModelManager, type ModelManager } from './repository/model-manager';
import {
  createRegistrySource,
  parseRegistryRefs,
  type RegistrySource,
} from './repository/registry-source';
import { createInferenceHandlers } from './handlers';
import { createInfer } from './inference/infer';

/** ServerMetadata's version. */
export const SERVER_VERSION = '0.1.0';

/** Folder under dataDir holding the verified downloads of registry models. */
export const REGISTRY_CACHE_DIR = 'registry-cache';

/**
 * The model server's setup step for runService: loads the repository's models and the
 * registry's (following their aliases), then serves
 * GRPCInferenceService. Its stop drains and ends every model's workers.
 */
export async function setupModelServer(
  context: ServiceContext<Config>,
): Promise<{ stop: () => Promise<void>; manager: ModelManager }> {
  const { config, logger } = context;
  const metrics = createModelMetrics(context.metrics, () =>
    manager.all().map((v) => ({
      model: v.name,
      version: String(v.version),
      pending: v.batcher.pendingCount(),
    })),
  );
  const manager = createModelManager({
    dir: config.models.repository,
    defaults: config.models,
    metrics,
    log: logger,
  });
  let ready = false;
  await manager.loadAll();
  const registry = startRegistry(context, manager);
  const drift = startDriftSampling(context);
  await registry?.source.start();
  ready = true;
  logger.info(
    {
      repository: config.models.repository,
      models: manager.all().map((v) => `${v.name}:${v.version}`),
    },
    'model repository loaded',
  );
  context.server.add(
    inference.GRPCInferenceService,
    createInferenceHandlers({
      manager,
      infer: createInfer({
        manager,
        metrics,
        maxTensorBytes: config.grpc.maxMessageBytes,
        sampler: drift?.sampler,
      }),
      isReady: () => ready,
      serverName: 'verdict-model-server',
      serverVersion: SERVER_VERSION,
    }),
  );
  return {
    manager,
    stop: async () => {
      registry?.source.close();
      registry?.client.close();
      await drift?.sampler.close();
      drift?.client.close();
      await manager.close();
    },
  };
}

/** Sends a sample of served input rows to the analyzer's DriftService, when one is configured. */
function startDriftSampling({
  config,
  metrics,
  clientTransport,
}: ServiceContext<Config>): { sampler: InputSampler; client: { close(): void } } | undefined {
  const { analyzerAddress, sampleRate } = config.drift;
  if (analyzerAddress === undefined || sampleRate === 0) return undefined;
  const dropped = new Counter({
    name: 'verdict_model_drift_samples_dropped_total',
    help: 'Sampled input rows not sent to the analyzer, by reason (queue_full, send_failed).',
    labelNames: ['reason'],
    registers: [metrics],
  });
  const client = createClient(driftV1.DriftService, {
    address: analyzerAddress,
    transport: clientTransport,
  });
  const sampler = createInputSampler({
    rate: sampleRate,
    send: async (samples) => void (await client.recordInputSamples({ samples })),
    onDrop: (rows, reason) => dropped.inc({ reason }, rows),
  });
  return { sampler, client };
}

/** The registry source of `models.registry`, calling the registry with this service's own identity. */
function startRegistry(
  { config, logger, clientTransport }: ServiceContext<Config>,
  manager: ModelManager,
): { source: RegistrySource; client: { close(): void } } | undefined {
  const { address, models, retryDelayMs } = config.models.registry;
  const refs = parseRegistryRefs(models);
  if (refs.length === 0) return undefined;
  if (address === undefined)
    throw new InvalidArgumentError({
      field: 'models.registry.address',
      expected: 'host:port of the registry, since models.registry.models names registry models',
      received: 'unset',
    });
  const client = createClient(registryV1.RegistryService, {
    address,
    transport: clientTransport,
  });
  const source = createRegistrySource({
    client,
    manager,
    refs,
    cacheDir: join(config.dataDir, REGISTRY_CACHE_DIR),
    retryDelayMs,
    log: logger,
  });
  return { source, client };
}
