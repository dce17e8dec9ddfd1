import { join } from 'node:path';
import type { ServiceContext } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import { createAuditHandlers } from './handlers';
import { createAuditMetrics } from './audit-metrics';
import type { Config } from './config';
import { openAuditLog } from './log/audit-log';
import { createCheckpointer, type Checkpointer } from './log/checkpointer';

/** Opens the log under the data directory, starts checkpointing and adds the AuditService. */
export async function setupAudit({
  config,
  server,
  logger,
  metrics: registry,
}: ServiceContext<Config>) {
  const settings = config.audit;
  const metrics = createAuditMetrics(registry);
  // The checkpointer needs the opened log; commits reach it through this once it exists.
  const late: { checkpointer?: Checkpointer } = {};
  const log = await openAuditLog({
    dir: join(config.dataDir, 'segments'),
    maxSegmentBytes: settings.maxSegmentBytes,
    maxBatchRecords: settings.maxBatchRecords,
    onCommit(event) {
      metrics.appended.inc(event.records);
      metrics.batchSize.observe(event.records);
      metrics.fsyncSeconds.observe(event.syncSeconds);
      metrics.treeSize.set(event.treeSize);
      late.checkpointer?.onCommit(event.treeSize);
    },
  });
  if (log.recovery.truncatedBytes > 0) {
    logger.warn(
      { truncated_bytes: log.recovery.truncatedBytes, records: log.size },
      'cut a torn tail from the last segment',
    );
  }
  metrics.treeSize.set(log.size);
  const checkpointer = await createCheckpointer({
    log,
    origin: settings.origin,
    keyFile: settings.keyFile ?? join(config.dataDir, 'checkpoint.key'),
    checkpointsFile: join(config.dataDir, 'checkpoints.jsonl'),
    everyRecords: settings.checkpointEveryRecords,
    intervalMs: settings.checkpointIntervalMs,
    onCheckpoint: () => metrics.checkpoints.inc(),
    onIntegrityFailure: (reason) =>
      logger.error(
        { reason },
        'AUDIT LOG INTEGRITY FAILURE: appends refused, no checkpoints signed; run verdict audit verify',
      ),
  });
  late.checkpointer = checkpointer;
  metrics.integrity.set(checkpointer.integrityFailure === undefined ? 1 : 0);
  logger.info({ tree_size: log.size, verifier_key: checkpointer.verifierKey }, 'audit log open');
  server.add(
    auditV1.AuditService,
    createAuditHandlers({
      log,
      checkpointer,
      origin: settings.origin,
      queryLimits: {
        defaultPageSize: settings.defaultPageSize,
        maxPageSize: settings.maxPageSize,
        maxScan: settings.maxQueryScan,
        readChunk: settings.exportBatchRecords,
      },
      exportBatchRecords: settings.exportBatchRecords,
    }),
  );
  return {
    async stop() {
      await checkpointer.stop();
      await log.close();
    },
  };
}
