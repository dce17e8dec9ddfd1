/**
 * bench/model-server: batch-1 ModelInfer calls at 1, 16 and 64 in flight against the real model
 * server (its own process, mutual TLS, dynamic batching in worker threads) and its baselines:
 * (a) the gRPC floor, a bare grpc-js server answering a same-sized response; (b) the compute
 * limit, onnxruntime-node in this process at its best batch size with the same compute threads;
 * (c) the naive server, one `session.run` per request on the main thread behind grpc-js. All
 * servers use the same mutual TLS; load comes from a separate process (model-server-load.ts),
 * sides alternate, and the server's CPU is read from /proc.
 */
import { writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, toBinary } from '@bufbuild/protobuf';
import { buildMlp, readPpocrClassifier, type MlpOptions } from '@verdict/model-zoo';
import { inference } from '@verdict/proto';
import { initDevPki } from '@verdict/security';
import type { LoadResult } from './model-server-load';
import {
  startBaseline,
  startLoadGenerator,
  startModelServer,
  type LoadGenerator,
  type MeasuredProcess,
} from './model-server-processes';
import {
  computeP50Us,
  measureRawOrt,
  openSession,
  type BenchModel,
  type RawOrtRun,
} from './model-server-raw-ort';
import { quantile, summarize } from './stats';

/** The transport-bound model: BENCHMARKS.md's 64-256-8 MLP. */
const MLP: MlpOptions = { inputSize: 64, hiddenSizes: [256], outputSize: 8, seed: 1 };
/** PP-OCR's classifier takes 48x192 RGB crops. */
const PPOCR_ROW_SHAPE = [3, 48, 192];
/**
 * Compute threads on every side: one model instance with one intra-op thread (the model
 * server's default), one intra-op thread in the naive server and in raw onnxruntime.
 */
const COMPUTE_THREADS = 1;
const IN_FLIGHT = [1, 16, 64];
const PPOCR_IN_FLIGHT_FULL = [16, 64];
const PPOCR_IN_FLIGHT_QUICK = [64];
const RAW_BATCH_SIZES_FULL = [1, 8, 16, 32, 64];
const RAW_BATCH_SIZES_QUICK = [1, 16, 64];
/** Triton's dynamic batching for both models: up to 64 rows, no added queue delay. */
const MODEL_CONFIG_YAML =
  'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 0\n' +
  `instance_group:\n  - count: 1\n    kind: KIND_CPU\nintra_op_thread_count: ${COMPUTE_THREADS}\n`;
const POLICY_YAML = `
roles:
  caller: [inference:invoke]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/loadgen']
    roles: [caller]
`;
const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const SPREAD_WARNING = 0.2;

interface Mode {
  rounds: number;
  warmupMs: number;
  durationMs: number;
  ppocrDurationMs: number;
  rawDurationMs: number;
  computeSamples: number;
}

const QUICK: Mode = {
  rounds: 3,
  warmupMs: 150,
  durationMs: 600,
  ppocrDurationMs: 1000,
  rawDurationMs: 500,
  computeSamples: 2000,
};
const FULL: Mode = {
  rounds: 5,
  warmupMs: 500,
  durationMs: 3000,
  ppocrDurationMs: 3000,
  rawDurationMs: 2000,
  computeSamples: 10_000,
};

const log = (message: string) => process.stderr.write(`bench/model-server: ${message}\n`);

/** One side at one concurrency in one round. */
interface SideRun {
  perSecond: number;
  p50: number;
  p90: number;
  p99: number;
  cpuUs: number;
  responseBytes: number;
}

function toSideRun(result: LoadResult, cpuUs: number, label: string): SideRun {
  if (result.failures > 0)
    throw new Error(`${label}: ${result.failures} calls failed, first: ${result.firstFailure}`);
  return {
    perSecond: result.requests / result.seconds,
    p50: quantile(result.latenciesUs, 0.5),
    p90: quantile(result.latenciesUs, 0.9),
    p99: quantile(result.latenciesUs, 0.99),
    cpuUs: cpuUs / result.allRequests,
    responseBytes: result.responseBytes,
  };
}

function seededRow(length: number, seed: number): Float32Array {
  const row = new Float32Array(length);
  let state = seed;
  for (let i = 0; i < length; i++) {
    state = (state * 1103515245 + 12345) >>> 0;
    row[i] = state / 2 ** 32 - 0.5;
  }
  return row;
}

function requestMessage(model: string, benchModel: BenchModel): Uint8Array {
  return toBinary(
    inference.ModelInferRequestSchema,
    create(inference.ModelInferRequestSchema, {
      modelName: model,
      inputs: [
        {
          name: benchModel.input,
          datatype: 'FP32',
          shape: [1n, ...benchModel.rowShape.map(BigInt)],
        },
      ],
      rawInputContents: [new Uint8Array(benchModel.row.buffer)],
    }),
  );
}

/** What the model server answers one MLP row with, for the echo floor to send back. */
function mlpResponseMessage(): Uint8Array {
  return toBinary(
    inference.ModelInferResponseSchema,
    create(inference.ModelInferResponseSchema, {
      modelName: 'mlp',
      modelVersion: '1',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1n, BigInt(MLP.outputSize)] }],
      rawOutputContents: [new Uint8Array(4 * MLP.outputSize)],
    }),
  );
}

function summarizeSide(runs: SideRun[], label: string, spreadWide: string[]) {
  const rate = summarize(runs.map((run) => run.perSecond));
  if (rate.spread > SPREAD_WARNING) spreadWide.push(label);
  const median = (pick: (run: SideRun) => number) => summarize(runs.map(pick)).median;
  return {
    req_per_s: Math.round(rate.median),
    req_per_s_min: Math.round(rate.min),
    req_per_s_max: Math.round(rate.max),
    p50_us: Math.round(median((run) => run.p50)),
    p90_us: Math.round(median((run) => run.p90)),
    p99_us: Math.round(median((run) => run.p99)),
    cpu_us_per_req: Number(median((run) => run.cpuUs).toFixed(1)),
    response_bytes: runs[0].responseBytes,
  };
}

function ratioSummary(ratios: number[]) {
  const s = summarize(ratios);
  return { median: s.median, min: s.min, max: s.max };
}

const round3 = (value: number) => Number(value.toFixed(3));

/** Runs the benchmark and returns its JSON result. */
export async function runModelServerBench({ quick }: { quick: boolean }): Promise<object> {
  const mode = quick ? QUICK : FULL;
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-model-server-'));
  const started: Array<MeasuredProcess | LoadGenerator> = [];
  try {
    const pki = await initDevPki({
      dir: join(dir, 'pki'),
      services: ['model-server'],
      clientName: 'loadgen',
    });
    const tls = {
      caFile: pki.caCert,
      certFile: pki.services['model-server'].cert,
      keyFile: pki.services['model-server'].key,
    };
    const repository = join(dir, 'models');
    const ppocr = readPpocrClassifier();
    const mlpBytes = buildMlp(MLP);
    for (const [name, bytes] of [
      ['mlp', mlpBytes],
      ['ppocr', ppocr.bytes],
    ] as const) {
      await mkdir(join(repository, name, '1'), { recursive: true });
      await writeFile(join(repository, name, '1', 'model.onnx'), bytes);
      await writeFile(join(repository, name, 'config.yaml'), MODEL_CONFIG_YAML);
    }
    const policyFile = join(dir, 'policy.yaml');
    await writeFile(policyFile, POLICY_YAML);
    const mlpModel: BenchModel = {
      file: join(repository, 'mlp', '1', 'model.onnx'),
      input: 'input',
      rowShape: [MLP.inputSize],
      row: seededRow(MLP.inputSize, 1),
    };
    const ppocrModel: BenchModel = {
      file: ppocr.path,
      input: ppocr.signature.inputs[0].name,
      rowShape: PPOCR_ROW_SHAPE,
      row: seededRow(
        PPOCR_ROW_SHAPE.reduce((a, b) => a * b),
        2,
      ),
    };
    const files = {
      mlpRequest: join(dir, 'mlp-request.bin'),
      ppocrRequest: join(dir, 'ppocr-request.bin'),
      echoResponse: join(dir, 'echo-response.bin'),
    };
    writeFileSync(files.mlpRequest, requestMessage('mlp', mlpModel));
    writeFileSync(files.ppocrRequest, requestMessage('ppocr', ppocrModel));
    writeFileSync(files.echoResponse, mlpResponseMessage());

    log('starting the model server, the echo floor, the naive server and the load generator');
    const [server, echo, naive] = await Promise.all([
      startModelServer({
        dir,
        repository,
        policyFile,
        ...tls,
        intraOpNumThreads: COMPUTE_THREADS,
      }),
      startBaseline({ mode: 'echo', ...tls, responseFile: files.echoResponse }),
      startBaseline({
        mode: 'naive',
        ...tls,
        modelFile: mlpModel.file,
        intraOpNumThreads: COMPUTE_THREADS,
      }),
    ]);
    started.push(server, echo, naive);
    const load = startLoadGenerator();
    started.push(load);

    const measure = async (
      target: MeasuredProcess,
      messageFile: string,
      inFlight: number,
      durationMs: number,
    ) => {
      const cpuBefore = target.cpuUs();
      const result = await load.run({
        address: target.address,
        caFile: pki.caCert,
        certFile: pki.client.cert,
        keyFile: pki.client.key,
        path: MODEL_INFER_PATH,
        messageFile,
        inFlight,
        warmupMs: mode.warmupMs,
        durationMs,
      });
      return toSideRun(
        result,
        target.cpuUs() - cpuBefore,
        `${target.address} ${inFlight} in flight`,
      );
    };

    const sides = [
      { name: 'echo', target: echo },
      { name: 'naive', target: naive },
      { name: 'model_server', target: server },
    ] as const;
    const mlpRuns: Record<string, Record<number, SideRun[]>> = {};
    for (const side of sides) mlpRuns[side.name] = { 1: [], 16: [], 64: [] };
    log(
      `MLP ${MLP.inputSize}-${MLP.hiddenSizes.join('-')}-${MLP.outputSize}: ${mode.rounds} rounds x ` +
        `${IN_FLIGHT.join('/')} in flight x 3 sides, ${mode.durationMs} ms each after ${mode.warmupMs} ms warm-up`,
    );
    for (let round = 0; round < mode.rounds; round++) {
      for (const inFlight of IN_FLIGHT) {
        // Rotate which side goes first so no side always meets a cold or a tired machine.
        const order = sides.map((_, i) => sides[(i + round) % sides.length]);
        const line: string[] = [];
        for (const side of order) {
          const run = await measure(side.target, files.mlpRequest, inFlight, mode.durationMs);
          mlpRuns[side.name][inFlight].push(run);
          line.push(
            `${side.name} ${Math.round(run.perSecond)}/s p50 ${Math.round(run.p50)} us ${run.cpuUs.toFixed(0)} us CPU`,
          );
        }
        log(`round ${round + 1}, ${inFlight} in flight: ${line.join('; ')}`);
      }
    }

    const ppocrInFlight = quick ? PPOCR_IN_FLIGHT_QUICK : PPOCR_IN_FLIGHT_FULL;
    const rawBatchSizes = quick ? RAW_BATCH_SIZES_QUICK : RAW_BATCH_SIZES_FULL;
    const ppocrSession = await openSession(ppocrModel, COMPUTE_THREADS);
    const ppocrRuns: Record<number, SideRun[]> = {};
    for (const inFlight of ppocrInFlight) ppocrRuns[inFlight] = [];
    const rawRuns: RawOrtRun[][] = [];
    const ppocrRatios: number[] = [];
    log(
      `PP-OCR: ${mode.rounds} rounds of the model server at ${ppocrInFlight.join('/')} in flight and raw onnxruntime at batch ${rawBatchSizes.join('/')}`,
    );
    for (let round = 0; round < mode.rounds; round++) {
      const runRaw = async () => {
        const runs: RawOrtRun[] = [];
        for (const batchSize of rawBatchSizes)
          runs.push(
            await measureRawOrt(ppocrSession, ppocrModel, batchSize, mode.rawDurationMs, 3),
          );
        rawRuns.push(runs);
      };
      const runServer = async () => {
        for (const inFlight of ppocrInFlight)
          ppocrRuns[inFlight].push(
            await measure(server, files.ppocrRequest, inFlight, mode.ppocrDurationMs),
          );
      };
      if (round % 2 === 0) {
        await runRaw();
        await runServer();
      } else {
        await runServer();
        await runRaw();
      }
      const best = Math.max(...rawRuns[round].map((run) => run.rowsPerSecond));
      const served = ppocrRuns[64][round].perSecond;
      ppocrRatios.push(served / best);
      log(
        `round ${round + 1}: model server ${Math.round(served)} rows/s at 64 in flight, raw onnxruntime ` +
          rawRuns[round]
            .map((run) => `b${run.batchSize} ${Math.round(run.rowsPerSecond)}`)
            .join(' ') +
          ` rows/s, ratio ${(served / best).toFixed(2)}`,
      );
    }

    log('compute time of one row, in this process');
    const mlpSession = await openSession(mlpModel, COMPUTE_THREADS);
    const mlpComputeUs = await computeP50Us(mlpSession, mlpModel, mode.computeSamples);
    const ppocrComputeUs = await computeP50Us(
      ppocrSession,
      ppocrModel,
      Math.ceil(mode.computeSamples / 20),
    );
    await mlpSession.release();
    await ppocrSession.release();

    const spreadWide: string[] = [];
    const mlp: Record<string, Record<number, ReturnType<typeof summarizeSide>>> = {};
    for (const side of sides) {
      mlp[side.name] = {};
      for (const inFlight of IN_FLIGHT)
        mlp[side.name][inFlight] = summarizeSide(
          mlpRuns[side.name][inFlight],
          `mlp.${side.name}.${inFlight}`,
          spreadWide,
        );
    }
    const perRound = (name: string, inFlight: number, other: string) =>
      mlpRuns[name][inFlight].map(
        (run, i) => run.perSecond / mlpRuns[other][inFlight][i].perSecond,
      );
    const vsEcho = ratioSummary(perRound('model_server', 64, 'echo'));
    const vsNaive = ratioSummary(perRound('model_server', 64, 'naive'));
    const vsRaw = ratioSummary(ppocrRatios);
    const addedRounds = mlpRuns.model_server[1].map(
      (run, i) => run.p50 - mlpRuns.echo[1][i].p50 - mlpComputeUs,
    );
    const added = summarize(addedRounds);
    const rawByBatch: Record<number, object> = {};
    rawBatchSizes.forEach((batchSize, index) => {
      const rows = summarize(rawRuns.map((runs) => runs[index].rowsPerSecond));
      if (rows.spread > SPREAD_WARNING) spreadWide.push(`ppocr.raw_ort.b${batchSize}`);
      rawByBatch[batchSize] = {
        rows_per_s: Math.round(rows.median),
        rows_per_s_min: Math.round(rows.min),
        rows_per_s_max: Math.round(rows.max),
        cpu_us_per_row: Number(
          summarize(rawRuns.map((runs) => runs[index].cpuUsPerRow)).median.toFixed(1),
        ),
      };
    });
    const bestIndex = rawBatchSizes
      .map((_, index) => summarize(rawRuns.map((runs) => runs[index].rowsPerSecond)).median)
      .reduce((best, rows, index, all) => (rows > all[best] ? index : best), 0);
    const ppocrServer: Record<number, object> = {};
    for (const inFlight of ppocrInFlight)
      ppocrServer[inFlight] = summarizeSide(
        ppocrRuns[inFlight],
        `ppocr.model_server.${inFlight}`,
        spreadWide,
      );
    if (spreadWide.length > 0)
      log(`spread of runs over ${SPREAD_WARNING * 100}%: ${spreadWide.join(', ')}`);
    const goals = {
      mlp_vs_echo: vsEcho.median >= 0.8,
      mlp_vs_naive: vsNaive.median >= 4,
      ppocr_vs_raw_ort: vsRaw.median >= 0.85,
      added_p50_us: added.median <= 60,
    };
    return {
      bench: 'model-server',
      ratios: {
        mlp_vs_echo: round3(vsEcho.median),
        mlp_vs_echo_min: round3(vsEcho.min),
        mlp_vs_echo_max: round3(vsEcho.max),
        mlp_vs_naive: round3(vsNaive.median),
        mlp_vs_naive_min: round3(vsNaive.min),
        mlp_vs_naive_max: round3(vsNaive.max),
        ppocr_vs_raw_ort: round3(vsRaw.median),
        ppocr_vs_raw_ort_min: round3(vsRaw.min),
        ppocr_vs_raw_ort_max: round3(vsRaw.max),
      },
      added_p50_us: Math.round(added.median),
      added_p50_us_min: Math.round(added.min),
      added_p50_us_max: Math.round(added.max),
      goals_met: goals,
      mlp_compute_p50_us: Number(mlpComputeUs.toFixed(1)),
      ppocr_compute_p50_us: Math.round(ppocrComputeUs),
      mlp,
      ppocr: {
        model_server_rows_per_s: ppocrServer,
        raw_ort_rows_per_s: rawByBatch,
        raw_ort_best_batch: rawBatchSizes[bestIndex],
      },
      spread_over_20pct: spreadWide,
      config: {
        quick,
        rounds: mode.rounds,
        rounds_note: 'each side runs once per round; sides rotate which goes first',
        warmup_ms: mode.warmupMs,
        duration_ms: mode.durationMs,
        ppocr_duration_ms: mode.ppocrDurationMs,
        raw_ort_duration_ms: mode.rawDurationMs,
        mlp: `${MLP.inputSize}-${MLP.hiddenSizes.join('-')}-${MLP.outputSize} FP32`,
        ppocr_input: `FP32 [1, ${PPOCR_ROW_SHAPE.join(', ')}]`,
        compute_threads: COMPUTE_THREADS,
        model_config: 'max_batch_size 64, max_queue_delay_microseconds 0, 1 instance',
        transport: 'gRPC over mutual TLS (TLS 1.3, client certificates) on every side',
        load_generator:
          'node:http2 client in a child process, one connection, pre-framed unary gRPC calls ' +
          '(h2load 1.52 has no client-certificate option, so it cannot do mutual TLS)',
        model_server: 'apps/model-server/src/main.ts under node --import tsx, child process',
        cpu_source: '/proc/<pid>/stat of each server process (all threads), warm-up included',
        added_p50:
          'model server MLP p50 at 1 in flight - echo p50 at 1 in flight - MLP compute p50',
      },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    for (const process of started.reverse()) await process.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
