import { Counter, Gauge, Histogram, type Registry } from '@verdict/telemetry';

/** Buckets for batch sizes: 1 to 20,000 records. */
const BATCH_BUCKETS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000, 20_000];
/** Buckets for write-plus-fsync time, 50 us to 1 s. */
const SYNC_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1,
];

/** The audit service's own metrics. */
export function createAuditMetrics(registry: Registry) {
  return {
    appended: new Counter({
      name: 'verdict_audit_appended_records_total',
      help: 'Records stored in the log',
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: 'verdict_audit_batch_records',
      help: 'Records per group commit',
      buckets: BATCH_BUCKETS,
      registers: [registry],
    }),
    fsyncSeconds: new Histogram({
      name: 'verdict_audit_fsync_seconds',
      help: 'Write plus fdatasync time per group commit',
      buckets: SYNC_BUCKETS,
      registers: [registry],
    }),
    treeSize: new Gauge({
      name: 'verdict_audit_tree_size',
      help: 'Records in the Merkle tree',
      registers: [registry],
    }),
    checkpoints: new Counter({
      name: 'verdict_audit_checkpoints_total',
      help: 'Checkpoints signed',
      registers: [registry],
    }),
    integrity: new Gauge({
      name: 'verdict_audit_integrity_ok',
      help: '1 when the log matched every kept checkpoint at start, else 0',
      registers: [registry],
    }),
  };
}
