import type { Worker } from 'node:worker_threads';
import { FailedPreconditionError, UnavailableError } from '@verdict/errors';
import { startSiblingWorker } from '@verdict/grpc-kit';
import type { NumericArray } from '../tensors/datatypes';
import type { HostTensor } from '../tensors/host-tensor';
import type { ResultMessage, RunMessage, SessionSettings, StartedMessage } from './worker-protocol';

/** Options of {@link createInstancePool}. */
export interface InstancePoolOptions {
  readonly session: SessionSettings;
  /** Model instances (worker threads, one ORT session each), like Triton's instance_group count. */
  readonly count: number;
  /** Told once per instance that runs on cpu although cuda was asked for. */
  readonly onProviderFallback?: (reason: string) => void;
}

/** What one batch run returns. */
export interface RunResult {
  readonly outputs: readonly HostTensor[];
  readonly inputNs: number;
  readonly inferNs: number;
  readonly outputNs: number;
}

/** The workers of one model version. */
export interface InstancePool {
  readonly count: number;
  /** Instances not running a batch right now. */
  idleCount(): number;
  /** Runs one batch on an idle instance (the caller checks idleCount first). */
  run(inputs: readonly HostTensor[], outputs: readonly string[]): Promise<RunResult>;
  /** Ends every worker; their sessions and memory go with them. */
  close(): Promise<void>;
}

interface Instance {
  worker: Worker;
  busy: { resolve(result: RunResult): void; reject(error: Error): void } | undefined;
}

/** Starts `count` workers on the model and resolves once every session is created. */
export async function createInstancePool(options: InstancePoolOptions): Promise<InstancePool> {
  let closed = false;
  let nextId = 0;
  const instances: Instance[] = [];

  const start = (): Promise<Instance> =>
    new Promise((resolve, reject) => {
      const worker = startSiblingWorker(__filename, 'session-worker', {
        workerData: options.session,
      });
      const instance: Instance = { worker, busy: undefined };
      worker.once('message', (message: StartedMessage) => {
        if (message.type === 'failed') {
          void worker.terminate();
          reject(
            new FailedPreconditionError(
              `model ${options.session.modelPath} does not load: ${message.message}`,
            ),
          );
          return;
        }
        if (message.fallbackReason !== undefined)
          options.onProviderFallback?.(message.fallbackReason);
        worker.on('message', (result: ResultMessage) => {
          const waiting = instance.busy;
          instance.busy = undefined;
          if (result.type === 'error')
            waiting?.reject(new Error(`model run failed: ${result.message}`));
          else waiting?.resolve(result);
        });
        resolve(instance);
      });
      worker.on('error', (error) => {
        reject(error);
        instance.busy?.reject(new UnavailableError(`model instance failed: ${error.message}`));
        instance.busy = undefined;
      });
      worker.on('exit', () => {
        instance.busy?.reject(new UnavailableError('model instance stopped'));
        instance.busy = undefined;
        const index = instances.indexOf(instance);
        if (index >= 0) instances.splice(index, 1);
        // A worker that died on its own is replaced, so that a crash costs one batch, not the model.
        if (!closed && index >= 0)
          void start().then(
            (fresh) => (closed ? void fresh.worker.terminate() : instances.push(fresh)),
            () => undefined,
          );
      });
    });

  const started = await Promise.allSettled(Array.from({ length: options.count }, start));
  for (const outcome of started) if (outcome.status === 'fulfilled') instances.push(outcome.value);
  const failure = started.find((outcome) => outcome.status === 'rejected');
  if (failure !== undefined) {
    closed = true;
    await Promise.all(instances.map((instance) => instance.worker.terminate()));
    throw (failure as PromiseRejectedResult).reason;
  }

  return {
    count: options.count,
    idleCount: () => instances.filter((instance) => instance.busy === undefined).length,
    run(inputs, outputs) {
      const instance = instances.find((candidate) => candidate.busy === undefined);
      if (instance === undefined)
        return Promise.reject(new UnavailableError('no idle model instance'));
      return new Promise<RunResult>((resolve, reject) => {
        instance.busy = { resolve, reject };
        const message: RunMessage = { type: 'run', id: nextId++, inputs, outputs };
        const transfer = inputs.flatMap((tensor) =>
          Array.isArray(tensor.data) ? [] : [(tensor.data as NumericArray).buffer as ArrayBuffer],
        );
        instance.worker.postMessage(message, transfer);
      });
    },
    async close() {
      closed = true;
      await Promise.all(instances.map((instance) => instance.worker.terminate()));
      instances.length = 0;
    },
  };
}
