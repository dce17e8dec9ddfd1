import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { TypedClient } from '@verdict/grpc-kit';
import { createSpamFeaturizer } from '@verdict/model-zoo';
import { inference } from '@verdict/proto';
import {
  isInsufficient,
  percentileInterval,
  twoProportionZTest,
  waldComparison,
  welchTTest,
  type Comparison,
  type InsufficientData,
} from '@verdict/stats';

/** A refused interval (nothing varies: accuracy 0 or 1) is the point itself. */
function intervalOf(c: Comparison | InsufficientData, value: number): readonly [number, number] {
  return isInsufficient(c) ? [value, value] : c.ci;
}
import type { CommandResult } from './command';
import { cliClient } from '../environment/cli-client';
import type { ModelIo } from './model';
import { describeRpcFailure } from './model-client';
import { formatTable } from './model-format';
import { UsageError } from './usage-error';

/** Flags of `verdict experiment replay`. */
export interface ReplayFlags {
  data?: string;
  model?: string;
  variants?: string;
  address?: string;
  concurrency?: string;
  alpha?: string;
  pki?: string;
  json?: boolean;
}

/** One labelled row of the dataset. */
export interface ReplayRow {
  readonly features: Float32Array;
  readonly label: number;
}

/** What replaying one row on one version gave. */
export interface ReplayObservation {
  readonly correct: boolean;
  /** −ln p(label), with p clipped to [1e-15, 1]. */
  readonly logLoss: number;
  readonly latencyUs: number;
}

/** One version's figures, with intervals at 1 − alpha. */
export interface VersionReport {
  version: string;
  n: number;
  accuracy: number;
  accuracy_ci: readonly [number, number];
  log_loss: number;
  log_loss_ci: readonly [number, number];
  latency_p50_us: number;
  latency_p50_ci: readonly [number, number];
  latency_p99_us: number;
  latency_p99_ci: readonly [number, number];
  /** Against the first version; absent for it. */
  accuracy_difference?: number;
  accuracy_difference_ci?: readonly [number, number];
  accuracy_p_value?: number;
  log_loss_difference?: number;
  log_loss_difference_ci?: readonly [number, number];
  log_loss_p_value?: number;
}

const LOG_LOSS_FLOOR = 1e-15;

/** Reads the dataset; a malformed line is a UsageError naming it. */
export async function readReplayRows(path: string): Promise<ReplayRow[]> {
  const featurizer = createSpamFeaturizer();
  const rows: ReplayRow[] = [];
  let line = 0;
  for await (const text of createInterface({
    input: createReadStream(path),
    crlfDelay: Infinity,
  })) {
    line++;
    if (text.trim() === '') continue;
    const where = `${path}:${line}`;
    let value: { text?: unknown; features?: unknown; label?: unknown };
    try {
      value = JSON.parse(text);
    } catch {
      throw new UsageError(`${where}: expected a JSON object, got invalid JSON`);
    }
    if (!Number.isInteger(value.label) || (value.label as number) < 0) {
      throw new UsageError(
        `${where}: "label" must be the index of the right class (an integer >= 0)`,
      );
    }
    if (typeof value.text === 'string') {
      rows.push({ features: featurizer.featurize(value.text), label: value.label as number });
    } else if (
      Array.isArray(value.features) &&
      value.features.length > 0 &&
      value.features.every((v) => typeof v === 'number' && Number.isFinite(v))
    ) {
      rows.push({
        features: Float32Array.from(value.features as number[]),
        label: value.label as number,
      });
    } else {
      throw new UsageError(`${where}: expected "text" (a string) or "features" (finite numbers)`);
    }
  }
  if (rows.length < 2) throw new UsageError(`${path}: expected at least 2 labelled rows`);
  return rows;
}

/** The per-version report of a replay, the first version being the baseline. */
export function replayReport(
  observations: ReadonlyMap<string, readonly ReplayObservation[]>,
  alpha: number,
): VersionReport[] {
  const summaries = [...observations].map(([version, seen]) => {
    const n = seen.length;
    const successes = seen.filter((o) => o.correct).length;
    const losses = seen.map((o) => o.logLoss);
    const sum = losses.reduce((a, b) => a + b, 0);
    const sumSquares = losses.reduce((a, b) => a + b * b, 0);
    const latencies = seen.map((o) => o.latencyUs).sort((a, b) => a - b);
    return { version, n, successes, loss: { n, sum, sumSquares }, latencies };
  });
  const [baseline] = summaries;
  return summaries.map((s) => {
    const accuracy = s.successes / s.n;
    const meanLoss = s.loss.sum / s.n;
    const lossVariance = Math.max(0, (s.loss.sumSquares - s.n * meanLoss * meanLoss) / (s.n - 1));
    const p50 = percentileInterval(s.latencies, 0.5, { alpha });
    const p99 = percentileInterval(s.latencies, 0.99, { alpha });
    const report: VersionReport = {
      version: s.version,
      n: s.n,
      accuracy,
      accuracy_ci: intervalOf(
        waldComparison(accuracy, Math.sqrt((accuracy * (1 - accuracy)) / s.n), alpha),
        accuracy,
      ),
      log_loss: meanLoss,
      log_loss_ci: intervalOf(
        waldComparison(meanLoss, Math.sqrt(lossVariance / s.n), alpha),
        meanLoss,
      ),
      latency_p50_us: p50.estimate,
      latency_p50_ci: p50.ci,
      latency_p99_us: p99.estimate,
      latency_p99_ci: p99.ci,
    };
    if (s !== baseline) {
      const accuracyTest = twoProportionZTest(
        { n: baseline.n, successes: baseline.successes },
        { n: s.n, successes: s.successes },
        { alpha },
      );
      const lossTest = welchTTest(baseline.loss, s.loss, { alpha });
      // A comparison refused as insufficient data (nothing varies) leaves its fields out.
      if (!isInsufficient(accuracyTest)) {
        Object.assign(report, {
          accuracy_difference: accuracyTest.estimate,
          accuracy_difference_ci: accuracyTest.ci,
          accuracy_p_value: accuracyTest.pValue,
        });
      }
      if (!isInsufficient(lossTest)) {
        Object.assign(report, {
          log_loss_difference: lossTest.estimate,
          log_loss_difference_ci: lossTest.ci,
          log_loss_p_value: lossTest.pValue,
        });
      }
    }
    return report;
  });
}

type InferenceClient = TypedClient<typeof inference.GRPCInferenceService.method>;

/** Runs one row on one version and scores the answer's first output as class probabilities. */
async function observe(
  client: InferenceClient,
  model: string,
  version: string,
  row: ReplayRow,
  input: string,
): Promise<ReplayObservation> {
  const started = process.hrtime.bigint();
  const answer = await client.modelInfer({
    modelName: model,
    modelVersion: version,
    inputs: [{ name: input, datatype: 'FP32', shape: [1n, BigInt(row.features.length)] }],
    rawInputContents: [
      new Uint8Array(row.features.buffer, row.features.byteOffset, row.features.byteLength),
    ],
  });
  const latencyUs = Number(process.hrtime.bigint() - started) / 1000;
  const raw = answer.rawOutputContents[0];
  const scores = new Float32Array(
    raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength),
  );
  if (row.label >= scores.length) {
    throw new UsageError(`label ${row.label} is past the model's ${scores.length} output classes`);
  }
  let best = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[best]) best = i;
  return {
    correct: best === row.label,
    logLoss: -Math.log(Math.min(1, Math.max(LOG_LOSS_FLOOR, scores[row.label]))),
    latencyUs,
  };
}

function progressBar(io: ModelIo, done: number, total: number): void {
  if (io.err.isTTY !== true && done !== total && done % 500 !== 0) return;
  const width = 30;
  const filled = Math.round((done / total) * width);
  io.err.write(
    `${io.err.isTTY === true ? '\r' : ''}replay [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ` +
      `${done}/${total}${io.err.isTTY === true && done !== total ? '' : '\n'}`,
  );
}

const interval = (ci: readonly [number, number], digits: number) =>
  `[${ci[0].toFixed(digits)}, ${ci[1].toFixed(digits)}]`;

/** `verdict experiment replay`. */
export async function replayCommand(
  flags: ReplayFlags,
  io: ModelIo = { out: process.stdout, err: process.stderr },
): Promise<CommandResult> {
  try {
    if (flags.data === undefined) throw new UsageError('--data FILE.jsonl is required');
    if (flags.model === undefined) throw new UsageError('--model NAME is required');
    const versions = (flags.variants ?? '')
      .split(',')
      .map((v) => v.trim())
      .filter((v) => v !== '');
    if (versions.length < 1 || versions.some((v) => !/^[1-9][0-9]*$/.test(v))) {
      throw new UsageError('--variants must list model versions, e.g. 1,2');
    }
    const alpha = Number(flags.alpha ?? '0.05');
    if (!(alpha > 0 && alpha < 1)) throw new UsageError('--alpha must be in (0, 1)');
    const concurrency = Number(flags.concurrency ?? '8');
    if (!(Number.isInteger(concurrency) && concurrency >= 1)) {
      throw new UsageError('--concurrency must be a positive integer');
    }
    const rows = await readReplayRows(flags.data);
    const client = cliClient(inference.GRPCInferenceService, {
      address: flags.address ?? '127.0.0.1:50052',
      pkiDir: flags.pki,
    });
    try {
      const metadata = await client.modelMetadata({ name: flags.model, version: versions[0] });
      const input = metadata.inputs[0]?.name ?? 'input';
      const observations = new Map(versions.map((v) => [v, [] as ReplayObservation[]]));
      const total = rows.length * versions.length;
      let next = 0;
      let done = 0;
      const worker = async () => {
        while (next < total) {
          const job = next++;
          const row = rows[Math.floor(job / versions.length)];
          const version = versions[job % versions.length];
          observations.get(version)!.push(await observe(client, flags.model!, version, row, input));
          progressBar(io, ++done, total);
        }
      };
      await Promise.all(Array.from({ length: concurrency }, worker));
      const report = replayReport(observations, alpha);
      if (flags.json === true) {
        io.out.write(
          `${JSON.stringify({ model: flags.model, alpha, rows: rows.length, versions: report })}\n`,
        );
      } else {
        io.out.write(
          `${flags.model}: ${rows.length} rows replayed on versions ${versions.join(', ')}; ` +
            `intervals at ${(100 * (1 - alpha)).toFixed(0)}%, differences against version ${versions[0]}\n\n`,
        );
        io.out.write(
          formatTable(
            [
              'VERSION',
              'N',
              'ACCURACY',
              'CI',
              'DIFF',
              'DIFF CI',
              'P',
              'LOG-LOSS',
              'CI',
              'P50 US',
              'P99 US',
            ],
            report.map((r) => [
              r.version,
              String(r.n),
              r.accuracy.toFixed(4),
              interval(r.accuracy_ci, 4),
              r.accuracy_difference === undefined ? '-' : r.accuracy_difference.toFixed(4),
              r.accuracy_difference_ci === undefined ? '-' : interval(r.accuracy_difference_ci, 4),
              r.accuracy_p_value === undefined ? '-' : r.accuracy_p_value.toPrecision(3),
              r.log_loss.toFixed(4),
              interval(r.log_loss_ci, 4),
              r.latency_p50_us.toFixed(0),
              r.latency_p99_us.toFixed(0),
            ]),
          ),
        );
      }
      return { exitCode: 0 };
    } finally {
      client.close();
    }
  } catch (error) {
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`verdict experiment replay: ${message}\n`);
    return { exitCode: error instanceof UsageError ? 2 : 1 };
  }
}
