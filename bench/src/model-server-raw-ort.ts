/**
 * The compute side of bench/model-server, in this process: onnxruntime-node sessions with the
 * model server's compute threads and no gRPC, to find (a) the rows per second a model reaches
 * at its best batch size and (b) a model's own compute time for one row.
 */
import * as ort from 'onnxruntime-node';
import { quantile } from './stats';

/** One model as the bench feeds it: its file and one row of input. */
export interface BenchModel {
  readonly file: string;
  readonly input: string;
  /** Shape of one row, batch dimension excluded. */
  readonly rowShape: readonly number[];
  /** One row of input values. */
  readonly row: Float32Array;
}

/** Rows per second of repeated runs at one batch size. */
export interface RawOrtRun {
  readonly batchSize: number;
  readonly rowsPerSecond: number;
  readonly cpuUsPerRow: number;
}

/** A session with the model server's settings (graph optimisation `all`, one inter-op thread). */
export function openSession(model: BenchModel, intraOpNumThreads: number) {
  return ort.InferenceSession.create(model.file, {
    intraOpNumThreads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
}

function batchFeeds(model: BenchModel, batchSize: number): Record<string, ort.Tensor> {
  const data = new Float32Array(model.row.length * batchSize);
  for (let i = 0; i < batchSize; i++) data.set(model.row, i * model.row.length);
  return { [model.input]: new ort.Tensor('float32', data, [batchSize, ...model.rowShape]) };
}

/** Runs `batchSize` rows per run back to back for `durationMs` after `warmupRuns`. */
export async function measureRawOrt(
  session: ort.InferenceSession,
  model: BenchModel,
  batchSize: number,
  durationMs: number,
  warmupRuns: number,
): Promise<RawOrtRun> {
  const feeds = batchFeeds(model, batchSize);
  for (let i = 0; i < warmupRuns; i++) await session.run(feeds);
  let runs = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const stopAt = started + durationMs;
  do {
    await session.run(feeds);
    runs++;
  } while (performance.now() < stopAt);
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return {
    batchSize,
    rowsPerSecond: (runs * batchSize) / seconds,
    cpuUsPerRow: (used.user + used.system) / (runs * batchSize),
  };
}

/** Median microseconds of one `session.run` on a single row: the model's own compute time. */
export async function computeP50Us(
  session: ort.InferenceSession,
  model: BenchModel,
  samples: number,
): Promise<number> {
  const feeds = batchFeeds(model, 1);
  for (let i = 0; i < Math.min(samples, 100); i++) await session.run(feeds);
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const started = process.hrtime.bigint();
    await session.run(feeds);
    latencies.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return quantile(latencies, 0.5);
}
