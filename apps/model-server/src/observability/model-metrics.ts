import { Counter, Gauge, Histogram, type Registry } from '@verdict/telemetry';

/** Buckets of the queue and compute histograms, in seconds: 50 us to 5 s. */
export const MODEL_DURATION_BUCKETS = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
  5,
];

/** Buckets of the batch size histogram, in rows. */
export const BATCH_SIZE_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** The model server's Prometheus metrics, labelled by model and version. */
export interface ModelMetrics {
  readonly requests: Counter<'model' | 'version' | 'outcome' | 'reason'>;
  readonly inferences: Counter<'model' | 'version'>;
  readonly executions: Counter<'model' | 'version'>;
  readonly queueSeconds: Histogram<'model' | 'version'>;
  readonly computeSeconds: Histogram<'model' | 'version'>;
  readonly batchSize: Histogram<'model' | 'version'>;
  readonly pending: Gauge<'model' | 'version'>;
  readonly instances: Gauge<'model' | 'version'>;
  readonly loadFailures: Counter<'model'>;
  readonly providerFallbacks: Counter<'model' | 'version'>;
}

/** Registers the model metrics on `registry`; `pendingOf` is read at scrape time. */
export function createModelMetrics(
  registry: Registry,
  pendingOf: () => Iterable<{ model: string; version: string; pending: number }>,
): ModelMetrics {
  const registers = [registry];
  return {
    requests: new Counter({
      name: 'verdict_model_requests_total',
      help: 'Inference requests by outcome (success, failure) and failure reason (gRPC code name)',
      labelNames: ['model', 'version', 'outcome', 'reason'],
      registers,
    }),
    inferences: new Counter({
      name: 'verdict_model_inferences_total',
      help: 'Rows inferred (Triton inference_count)',
      labelNames: ['model', 'version'],
      registers,
    }),
    executions: new Counter({
      name: 'verdict_model_executions_total',
      help: 'Model runs (Triton execution_count)',
      labelNames: ['model', 'version'],
      registers,
    }),
    queueSeconds: new Histogram({
      name: 'verdict_model_queue_duration_seconds',
      help: 'Time requests waited in the batcher queue',
      labelNames: ['model', 'version'],
      buckets: MODEL_DURATION_BUCKETS,
      registers,
    }),
    computeSeconds: new Histogram({
      name: 'verdict_model_compute_duration_seconds',
      help: 'Time of the model runs, input and output conversion included',
      labelNames: ['model', 'version'],
      buckets: MODEL_DURATION_BUCKETS,
      registers,
    }),
    batchSize: new Histogram({
      name: 'verdict_model_batch_size',
      help: 'Rows per model run',
      labelNames: ['model', 'version'],
      buckets: BATCH_SIZE_BUCKETS,
      registers,
    }),
    pending: new Gauge({
      name: 'verdict_model_pending_requests',
      help: 'Requests waiting in the batcher queue',
      labelNames: ['model', 'version'],
      registers,
      collect() {
        this.reset();
        for (const entry of pendingOf())
          this.set({ model: entry.model, version: entry.version }, entry.pending);
      },
    }),
    instances: new Gauge({
      name: 'verdict_model_instances',
      help: 'Model instances (worker threads with a session) serving',
      labelNames: ['model', 'version'],
      registers,
    }),
    loadFailures: new Counter({
      name: 'verdict_model_load_failures_total',
      help: 'Model versions that failed to load',
      labelNames: ['model'],
      registers,
    }),
    providerFallbacks: new Counter({
      name: 'verdict_model_provider_fallbacks_total',
      help: 'Instances running on cpu although cuda was configured',
      labelNames: ['model', 'version'],
      registers,
    }),
  };
}
