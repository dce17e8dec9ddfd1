import type { Datatype } from '../tensors/datatypes';
import type { HostTensor } from '../tensors/host-tensor';

/** How a worker builds its ONNX Runtime session. */
export interface SessionSettings {
  /** Path of the model.onnx file. */
  readonly modelPath: string;
  /** `cpu`, or `cuda` (falls back to cpu with a reported reason when CUDA is not available). */
  readonly executionProvider: 'cpu' | 'cuda';
  /** ORT's `graphOptimizationLevel`. */
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  /** Threads one operator may use; 1 when several instances share the cores. */
  readonly intraOpNumThreads: number;
  /** Threads running independent operators in parallel. */
  readonly interOpNumThreads: number;
}

/** Main thread to worker: run one batch. */
export interface RunMessage {
  readonly type: 'run';
  readonly id: number;
  readonly inputs: readonly HostTensor[];
  readonly outputs: readonly string[];
}

/** Worker to main thread, once after start. */
export type StartedMessage =
  | { readonly type: 'ready'; readonly provider: string; readonly fallbackReason?: string }
  | { readonly type: 'failed'; readonly message: string };

/** Worker to main thread: the outcome of one RunMessage, with its phase durations. */
export type ResultMessage =
  | {
      readonly type: 'result';
      readonly id: number;
      readonly outputs: readonly HostTensor[];
      readonly inputNs: number;
      readonly inferNs: number;
      readonly outputNs: number;
    }
  | { readonly type: 'error'; readonly id: number; readonly message: string };

/** The OIP datatype of each ORT tensor type a model may return, for the worker's answers. */
export type OrtOutputType = { readonly ortType: string; readonly datatype: Datatype };
