import type { RunResult } from '../workers/instance-pool';

/** A Triton StatisticDuration: how many and how long in total. */
export interface Duration {
  count: number;
  ns: number;
}

/** Per batch size: how often a model run took that many rows, and its phase times. */
export interface BatchStatistics {
  readonly batchSize: number;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
}

/**
 * ModelStatistics of one model version with Triton's semantics: `inferenceCount` counts rows,
 * `executionCount` model runs; success/fail/queue/compute durations are per request, and a
 * request's compute times are those of the run it was part of.
 */
export interface VersionStatistics {
  readonly lastInferenceMs: number;
  readonly inferenceCount: number;
  readonly executionCount: number;
  readonly success: Duration;
  readonly fail: Duration;
  readonly queue: Duration;
  readonly computeInput: Duration;
  readonly computeInfer: Duration;
  readonly computeOutput: Duration;
  readonly batches: readonly BatchStatistics[];
}

/** Collects {@link VersionStatistics}. */
export interface StatisticsRecorder {
  recordExecution(rows: number, run: RunResult): void;
  recordSuccess(rows: number, queueNs: number, run: RunResult, totalNs: number): void;
  recordFailure(totalNs: number): void;
  snapshot(): VersionStatistics;
}

const duration = (): Duration => ({ count: 0, ns: 0 });
const add = (target: Duration, ns: number) => {
  target.count++;
  target.ns += ns;
};

/** Creates an empty recorder. */
export function createStatisticsRecorder(): StatisticsRecorder {
  let lastInferenceMs = 0;
  let inferenceCount = 0;
  let executionCount = 0;
  const success = duration();
  const fail = duration();
  const queue = duration();
  const computeInput = duration();
  const computeInfer = duration();
  const computeOutput = duration();
  const batches = new Map<
    number,
    { batchSize: number; computeInput: Duration; computeInfer: Duration; computeOutput: Duration }
  >();
  return {
    recordExecution(rows, run) {
      executionCount++;
      let batch = batches.get(rows);
      if (batch === undefined) {
        batch = {
          batchSize: rows,
          computeInput: duration(),
          computeInfer: duration(),
          computeOutput: duration(),
        };
        batches.set(rows, batch);
      }
      add(batch.computeInput, run.inputNs);
      add(batch.computeInfer, run.inferNs);
      add(batch.computeOutput, run.outputNs);
    },
    recordSuccess(rows, queueNs, run, totalNs) {
      lastInferenceMs = Date.now();
      inferenceCount += rows;
      add(success, totalNs);
      add(queue, queueNs);
      add(computeInput, run.inputNs);
      add(computeInfer, run.inferNs);
      add(computeOutput, run.outputNs);
    },
    recordFailure(totalNs) {
      lastInferenceMs = Date.now();
      add(fail, totalNs);
    },
    snapshot: () => ({
      lastInferenceMs,
      inferenceCount,
      executionCount,
      success: { ...success },
      fail: { ...fail },
      queue: { ...queue },
      computeInput: { ...computeInput },
      computeInfer: { ...computeInfer },
      computeOutput: { ...computeOutput },
      batches: [...batches.values()]
        .sort((a, b) => a.batchSize - b.batchSize)
        .map((batch) => ({ ...batch })),
    }),
  };
}
