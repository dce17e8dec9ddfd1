import type { ServiceContext } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import type { Config } from './config';
import { createModelMetrics } from './observability/model-metrics';
import { createModelManager, type ModelManager } from './repository/model-manager';
import { createInfer } from './service/infer';
import { createInferenceService } from './service/inference-service';

/** ServerMetadata's version. */
export const SERVER_VERSION = '0.1.0';

/**
 * The model server's setup step for runService: loads the repository's models, then serves
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
    createInferenceService({
      manager,
      infer: createInfer({ manager, metrics, maxTensorBytes: config.grpc.maxMessageBytes }),
      isReady: () => ready,
      serverName: 'verdict-model-server',
      serverVersion: SERVER_VERSION,
    }),
  );
  return { manager, stop: () => manager.close() };
}
