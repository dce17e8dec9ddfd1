import type { MessageInitShape } from '@bufbuild/protobuf';
import type { driftV1 } from '@verdict/proto';
import type { HostTensor } from '../tensors/host-tensor';

type SampleInit = MessageInitShape<typeof driftV1.InputSampleSchema>;

/** Options of {@link createInputSampler}. */
export interface InputSamplerOptions {
  /** Share of input rows copied for drift detection, in [0, 1]. */
  readonly rate: number;
  /** Delivers one batch of samples (to the analyzer's DriftService). */
  readonly send: (samples: SampleInit[]) => Promise<void>;
  /** Rows waiting to be sent at most; more are dropped and counted. @default 10000 */
  readonly maxQueuedRows?: number;
  /** Rows per send. @default 500 */
  readonly batchRows?: number;
  /** Longest wait before queued rows are sent. @default 1000 */
  readonly flushMs?: number;
  readonly random?: () => number;
  /** Called with the number of rows dropped: queue full, or a send that failed. */
  readonly onDrop?: (rows: number, reason: 'queue_full' | 'send_failed') => void;
}

/** Copies a sample of served input rows and sends them in batches, off the answer path. */
export interface InputSampler {
  /** Considers every row of a decoded request; cheap when no row is picked. */
  offer(model: string, version: string, inputs: readonly HostTensor[], rows: number): void;
  /** Sends what is queued and stops. */
  close(): Promise<void>;
}

/**
 * Samples rows independently with probability `rate` (so a batch of 64 rows is sampled like 64
 * single-row requests), copies each picked row of every input, and sends queued rows every
 * `flushMs` or once `batchRows` are waiting. Samples are statistics, not records: a full queue
 * or a failed send drops rows and reports them through `onDrop` (a metric), never blocks or
 * fails a request.
 */
export function createInputSampler(options: InputSamplerOptions): InputSampler {
  const maxQueued = options.maxQueuedRows ?? 10_000;
  const batchRows = options.batchRows ?? 500;
  const random = options.random ?? Math.random;
  let queue: SampleInit[] = [];
  let sending: Promise<void> = Promise.resolve();
  const timer = setInterval(() => void flush(), options.flushMs ?? 1000);
  timer.unref();

  function flush(): Promise<void> {
    if (queue.length === 0) return sending;
    const batch = queue;
    queue = [];
    sending = sending.then(() =>
      options.send(batch).catch(() => options.onDrop?.(batch.length, 'send_failed')),
    );
    return sending;
  }

  return {
    offer(model, version, inputs, rows) {
      if (options.rate <= 0) return;
      for (let row = 0; row < rows; row++) {
        if (random() >= options.rate) continue;
        if (queue.length >= maxQueued) {
          options.onDrop?.(1, 'queue_full');
          continue;
        }
        for (const tensor of inputs) queue.push(rowOf(model, version, tensor, row, rows));
        if (queue.length >= batchRows) void flush();
      }
    },
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}

/** One row of a tensor whose first dimension is the batch (or the whole tensor when rows is 1). */
function rowOf(
  model: string,
  version: string,
  tensor: HostTensor,
  row: number,
  rows: number,
): SampleInit {
  const width = tensor.data.length / rows;
  const start = row * width;
  if (tensor.datatype === 'BYTES') {
    return {
      model,
      version,
      input: tensor.name,
      strings: (tensor.data as readonly string[]).slice(start, start + width),
    };
  }
  const values = new Array<number>(width);
  const data = tensor.data as ArrayLike<number | bigint>;
  for (let i = 0; i < width; i++) values[i] = Number(data[start + i]);
  return { model, version, input: tensor.name, values };
}
