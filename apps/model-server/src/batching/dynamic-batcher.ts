import { DeadlineExceededError, ResourceExhaustedError, UnavailableError } from '@verdict/errors';
import { concatRows } from './concat-rows';
import { sliceRows } from '../tensors/encode-outputs';
import type { HostTensor } from '../tensors/host-tensor';
import type { InstancePool, RunResult } from '../workers/instance-pool';

/** Triton's dynamic batching settings of one model version, already defaulted. */
export interface BatcherSettings {
  /** Rows one model run may take; 0 means the model does not batch and each request runs alone. */
  readonly maxBatchSize: number;
  /** Whether requests are merged into one run (Triton's `dynamic_batching` present). */
  readonly dynamic: boolean;
  /** Batch sizes worth dispatching at once, without waiting for the queue delay. */
  readonly preferredBatchSizes: readonly number[];
  /** Longest a request waits for others to join its batch, in microseconds. */
  readonly maxQueueDelayMicroseconds: number;
  /** Requests that may wait; one more is refused with RESOURCE_EXHAUSTED. 0: no bound. */
  readonly maxQueueSize: number;
  /** Priority levels 1..n (1 first); 0 or 1: one level. */
  readonly priorityLevels: number;
  /** Level of a request that names none. */
  readonly defaultPriorityLevel: number;
  /** Timeout of a request that names none, in microseconds; 0: none. */
  readonly defaultTimeoutMicroseconds: number;
}

/** One request as the batcher takes it. */
export interface BatchRequest {
  readonly inputs: readonly HostTensor[];
  readonly rows: number;
  readonly outputs: readonly string[];
  /** Priority level (0: the default level). */
  readonly priority: number;
  /** Microseconds the request may wait and run (0: the model's default). */
  readonly timeoutMicroseconds: number;
  /** Absolute deadline from the transport (epoch ms), if any. */
  readonly deadline?: Date;
  /** Aborted when the caller gives up: the request leaves the queue. */
  readonly signal?: AbortSignal;
}

/** One request's result with the times Triton's statistics report. */
export interface BatchResponse {
  readonly outputs: readonly HostTensor[];
  readonly queueNs: number;
  readonly run: RunResult;
  /** Rows in the model run this request was part of. */
  readonly batchRows: number;
}

/** Hooks the statistics and metrics hang on. */
export interface BatcherHooks {
  /** Once per model run, with the rows it took. */
  onExecution?(rows: number, run: RunResult): void;
}

/** The per-model-version queue in front of the instance pool. */
export interface DynamicBatcher {
  submit(request: BatchRequest): Promise<BatchResponse>;
  /** Requests waiting to run. */
  pendingCount(): number;
  /** Refuses new requests and resolves when every queued and running one has finished. */
  drain(): Promise<void>;
}

interface Pending {
  readonly request: BatchRequest;
  /** Non-batch dimensions of every input: only requests with equal keys share a run. */
  readonly key: string;
  readonly level: number;
  readonly enqueuedNs: bigint;
  /** process.hrtime-based deadline in ns, or undefined. */
  readonly deadlineNs: bigint | undefined;
  done: boolean;
  timer?: NodeJS.Timeout;
  resolve(response: BatchResponse): void;
  reject(error: Error): void;
  unlisten?: () => void;
}

const NS_PER_US = 1000n;

/** Creates the dynamic batcher of one model version over its instance pool. */
export function createDynamicBatcher(
  settings: BatcherSettings,
  pool: Pick<InstancePool, 'idleCount' | 'run'>,
  hooks: BatcherHooks = {},
): DynamicBatcher {
  const levels = Math.max(1, settings.priorityLevels);
  const queues: Pending[][] = Array.from({ length: levels }, () => []);
  let size = 0;
  let running = 0;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let drained: (() => void) | undefined;

  const settle = (pending: Pending) => {
    pending.done = true;
    size--;
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    pending.unlisten?.();
  };

  const expire = (pending: Pending) => {
    if (pending.done) return;
    settle(pending);
    pending.reject(new DeadlineExceededError('request timed out before it could run'));
    checkDrained();
  };

  const checkDrained = () => {
    if (drained !== undefined && size === 0 && running === 0) drained();
  };

  const nextCandidates = (): Pending[] => {
    for (const queue of queues) {
      while (queue.length > 0 && queue[0].done) queue.shift();
    }
    const head = queues.find((queue) => queue.length > 0)?.[0];
    if (head === undefined) return [];
    if (settings.maxBatchSize === 0 || !settings.dynamic) return [head];
    const batch: Pending[] = [];
    let rows = 0;
    for (const queue of queues) {
      for (const pending of queue) {
        if (pending.done || pending.key !== head.key) continue;
        if (rows + pending.request.rows > settings.maxBatchSize) return batch;
        batch.push(pending);
        rows += pending.request.rows;
        if (rows === settings.maxBatchSize) return batch;
      }
    }
    return batch;
  };

  /** The batch to run now, or the nanoseconds to wait before it is worth running. */
  const decide = (candidates: Pending[]): Pending[] | bigint => {
    if (settings.maxBatchSize === 0 || !settings.dynamic) return candidates;
    let rows = 0;
    let preferred = 0;
    for (let i = 0; i < candidates.length; i++) {
      rows += candidates[i].request.rows;
      if (settings.preferredBatchSizes.includes(rows)) preferred = i + 1;
    }
    if (rows === settings.maxBatchSize) return candidates;
    const waited = process.hrtime.bigint() - candidates[0].enqueuedNs;
    const delay = BigInt(settings.maxQueueDelayMicroseconds) * NS_PER_US;
    if (preferred > 0 && (preferred === candidates.length || waited < delay))
      return candidates.slice(0, preferred);
    return waited >= delay ? candidates : delay - waited;
  };

  const pump = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    while (size > 0 && pool.idleCount() > 0) {
      const decision = decide(nextCandidates());
      if (typeof decision === 'bigint') {
        timer = setTimeout(pump, Math.max(1, Math.ceil(Number(decision) / 1e6)));
        return;
      }
      dispatch(decision);
    }
  };

  const dispatch = (batch: Pending[]) => {
    const now = process.hrtime.bigint();
    const live: Pending[] = [];
    for (const pending of batch) {
      settle(pending);
      // Never run late: a request whose time is up is answered, not computed.
      if (pending.deadlineNs !== undefined && pending.deadlineNs <= now)
        pending.reject(new DeadlineExceededError('request timed out before it could run'));
      else live.push(pending);
    }
    if (live.length === 0) return checkDrained();
    const rows = live.reduce((sum, pending) => sum + pending.request.rows, 0);
    const inputs =
      live.length === 1
        ? live[0].request.inputs
        : concatRows(live.map((pending) => pending.request.inputs));
    const outputs = [...new Set(live.flatMap((pending) => pending.request.outputs))];
    running++;
    pool
      .run(inputs, outputs)
      .then(
        (run) => {
          hooks.onExecution?.(rows, run);
          let offset = 0;
          for (const pending of live) {
            const wanted = new Set(pending.request.outputs);
            const mine = run.outputs
              .filter((tensor) => wanted.has(tensor.name))
              .sort(
                (a, b) =>
                  pending.request.outputs.indexOf(a.name) - pending.request.outputs.indexOf(b.name),
              )
              .map((tensor) =>
                settings.maxBatchSize === 0
                  ? tensor
                  : sliceRows(tensor, offset, pending.request.rows),
              );
            offset += pending.request.rows;
            pending.resolve({
              outputs: mine,
              queueNs: Number(now - pending.enqueuedNs),
              run,
              batchRows: rows,
            });
          }
        },
        (error: Error) => live.forEach((pending) => pending.reject(error)),
      )
      .finally(() => {
        running--;
        checkDrained();
        pump();
      });
  };

  return {
    submit(request) {
      if (closed) return Promise.reject(new UnavailableError('model version is being unloaded'));
      if (settings.maxQueueSize > 0 && size >= settings.maxQueueSize) {
        return Promise.reject(
          new ResourceExhaustedError(`queue of ${settings.maxQueueSize} requests is full`),
        );
      }
      const enqueuedNs = process.hrtime.bigint();
      const timeoutUs =
        request.timeoutMicroseconds > 0
          ? request.timeoutMicroseconds
          : settings.defaultTimeoutMicroseconds;
      let deadlineNs = timeoutUs > 0 ? enqueuedNs + BigInt(timeoutUs) * NS_PER_US : undefined;
      if (request.deadline !== undefined) {
        const transportNs =
          enqueuedNs + BigInt(Math.max(0, request.deadline.getTime() - Date.now())) * 1_000_000n;
        if (deadlineNs === undefined || transportNs < deadlineNs) deadlineNs = transportNs;
      }
      const level =
        Math.min(
          levels,
          Math.max(1, request.priority === 0 ? settings.defaultPriorityLevel : request.priority),
        ) - 1;
      const key = request.inputs
        .map((tensor) => tensor.shape.slice(settings.maxBatchSize > 0 ? 1 : 0).join('x'))
        .join('|');
      return new Promise<BatchResponse>((resolve, reject) => {
        const pending: Pending = {
          request,
          key,
          level,
          enqueuedNs,
          deadlineNs,
          done: false,
          resolve,
          reject,
        };
        if (deadlineNs !== undefined) {
          pending.timer = setTimeout(
            () => expire(pending),
            Math.max(0, Number(deadlineNs - enqueuedNs) / 1e6),
          );
        }
        if (request.signal !== undefined) {
          const onAbort = () => expire(pending);
          request.signal.addEventListener('abort', onAbort, { once: true });
          pending.unlisten = () => request.signal!.removeEventListener('abort', onAbort);
        }
        queues[level].push(pending);
        size++;
        pump();
      });
    },
    pendingCount: () => size,
    drain() {
      closed = true;
      if (size === 0 && running === 0) return Promise.resolve();
      return new Promise((resolve) => (drained = resolve));
    },
  };
}
