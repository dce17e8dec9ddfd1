/**
 * bench/analyzer: exposure events ingested per second through the analyzer's ingest (decode,
 * validation, deduplication, attribution index, aggregation, one batched Store write per call)
 * on the embedded store with its file (group-committed fsync), against decoding the same
 * RecordExposuresRequest bytes alone; alternated in one process, several runs, medians and
 * spread. Then results() latency for an experiment holding 10 million events (aggregated
 * in-process through the same cells the ingest uses, spread over 24 hourly windows).
 * In-process: no gRPC on either side.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { openMemoryStore, type Store } from '@verdict/store';
import { createIngest, type IngestDeps } from '../../apps/experiment-analyzer/src/ingest';
import { T0, testExperiment } from '../../apps/experiment-analyzer/src/ingest/experiment-fixture';
import { Pending } from '../../apps/experiment-analyzer/src/ingest/pending';
import { StoreWriter } from '../../apps/experiment-analyzer/src/ingest/store-writer';
import { createResultsReader } from '../../apps/experiment-analyzer/src/results';
import { quantile, summarize } from './stats';

/** Events per RecordExposures call (a router's batch) and calls in flight (routers). */
const BATCH = 500;
const IN_FLIGHT = 4;
const UNITS = 200_000;
const RESULTS_EVENTS = 10_000_000;
const WINDOWS = 24;
const HOUR = 3_600_000;

const log = (message: string) => process.stderr.write(`bench/analyzer: ${message}\n`);
const silent = { warn: () => undefined, error: () => undefined } as unknown as IngestDeps['logger'];

const experiment = testExperiment({
  secondaryMetrics: [{ name: 'revenue', type: experimentsV1.MetricType.CONTINUOUS }],
});

/** Encoded RecordExposuresRequest batches of fresh events (ids unique per run). */
function makeBatches(events: number, run: number): Uint8Array[] {
  const tag = randomBytes(4).toString('hex');
  const batches: Uint8Array[] = [];
  for (let start = 0; start < events; start += BATCH) {
    const list = [];
    for (let i = start; i < Math.min(events, start + BATCH); i++) {
      const unit = (i * 7919 + run * 104_729) % UNITS;
      list.push(
        create(experimentsV1.ExposureEventSchema, {
          eventId: `${tag}-${run}-${i}-${randomBytes(6).toString('hex')}`,
          experimentId: 'exp-1',
          variant: unit % 2 === 0 ? 'control' : 'treatment',
          unitId: `user-${unit}`,
          requestId: `req-${tag}-${run}-${i}`,
          model: 'spam',
          modelVersion: '3',
          time: timestampFromMs(T0 + (i % 1000) * 1000),
          latencyUs: BigInt(400 + ((i * 2654435761) % 3000)),
          statusCode: i % 97 === 0 ? 14 : 0,
          routingTableVersion: 7n,
        }),
      );
    }
    batches.push(
      toBinary(
        experimentsV1.RecordExposuresRequestSchema,
        create(experimentsV1.RecordExposuresRequestSchema, { events: list }),
      ),
    );
  }
  return batches;
}

/** One measured run: events per wall-clock second and microseconds of this process's CPU per event. */
interface Run {
  readonly perSecond: number;
  readonly cpuUsPerEvent: number;
}

/** Runs IN_FLIGHT loops over the batches. */
async function drive(
  batches: readonly Uint8Array[],
  handle: (bytes: Uint8Array) => Promise<unknown>,
): Promise<Run> {
  let next = 0;
  let events = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (next < batches.length) {
        const bytes = batches[next++];
        await handle(bytes);
        events += BATCH;
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return { perSecond: events / seconds, cpuUsPerEvent: (used.user + used.system) / events };
}

async function ingestRun(store: Store, batches: readonly Uint8Array[]): Promise<Run> {
  const ingest = createIngest({
    store,
    experiment: () => experiment,
    now: () => new Date(T0 + HOUR),
    logger: silent,
  });
  try {
    return await drive(batches, (bytes) =>
      ingest.recordExposures(fromBinary(experimentsV1.RecordExposuresRequestSchema, bytes)),
    );
  } finally {
    await ingest.close();
  }
}

async function decodeRun(batches: readonly Uint8Array[]): Promise<Run> {
  return drive(batches, async (bytes) =>
    fromBinary(experimentsV1.RecordExposuresRequestSchema, bytes),
  );
}

/** Aggregates RESULTS_EVENTS exposures and their outcomes with the ingest's cells, then writes them once. */
async function loadTenMillion(store: Store): Promise<void> {
  const pending = new Pending();
  const cells = Array.from({ length: WINDOWS }, (_, w) =>
    ['control', 'treatment'].map((v) => ({
      exposure: pending.exposure('exp-1', T0 + w * HOUR, v),
      click: pending.outcome('exp-1', T0 + w * HOUR, v, 'click'),
      revenue: pending.outcome('exp-1', T0 + w * HOUR, v, 'revenue'),
    })),
  );
  for (let i = 0; i < RESULTS_EVENTS; i++) {
    const window = cells[Math.floor((i * WINDOWS) / RESULTS_EVENTS)];
    const arm = i & 1;
    const c = window[arm];
    const latency = 300 + ((i * 2654435761) % 5000) * (arm === 1 ? 1.05 : 1);
    c.exposure.add(latency, i % 101 === 0);
    // One unit in four is new; each new unit brings one click and one revenue outcome.
    if (i % 4 < 2) {
      c.exposure.units++;
      window[0].exposure.expectedUnits += 0.5;
      window[1].exposure.expectedUnits += 0.5;
      const clicked = (i * 40503) % 1000 < (arm === 1 ? 105 : 100) ? 1 : 0;
      c.click.n++;
      c.click.sum += clicked;
      c.click.sumSquares += clicked;
      const revenue = ((i * 7) % 50) / 10;
      c.revenue.n++;
      c.revenue.sum += revenue;
      c.revenue.sumSquares += revenue * revenue;
    }
  }
  await new StoreWriter(store, 86_400_000).write(pending);
}

export async function runAnalyzerBench({ quick }: { quick: boolean }): Promise<object> {
  const rounds = quick ? 3 : 5;
  const perRun = quick ? 100_000 : 400_000;
  const queries = quick ? 100 : 500;
  const dir = await mkdtemp(join(tmpdir(), 'bench-analyzer-'));
  try {
    log(`encoding ${rounds + 1} x ${perRun} events`);
    const sets = Array.from({ length: rounds + 1 }, (_, r) => makeBatches(perRun, r));
    const store = await openMemoryStore({ file: join(dir, 'ingest.log'), fsync: 'batch' });
    log('warm-up');
    await ingestRun(store, sets[0]);
    await decodeRun(sets[0]);
    const ingestRuns: Run[] = [];
    const decodeRuns: Run[] = [];
    for (let r = 1; r <= rounds; r++) {
      ingestRuns.push(await ingestRun(store, sets[r]));
      decodeRuns.push(await decodeRun(sets[r]));
      const [i, d] = [ingestRuns.at(-1)!, decodeRuns.at(-1)!];
      log(
        `round ${r}: ingest ${Math.round(i.perSecond)}/s (${i.cpuUsPerEvent.toFixed(2)} us CPU/event), decode alone ${Math.round(d.perSecond)}/s (${d.cpuUsPerEvent.toFixed(2)} us CPU/event)`,
      );
    }
    await store.close();

    log(`aggregating ${RESULTS_EVENTS} events into ${WINDOWS} hourly windows`);
    const resultsStore = await openMemoryStore({ file: join(dir, 'results.log'), fsync: 'batch' });
    await loadTenMillion(resultsStore);
    const reader = createResultsReader(resultsStore, { now: () => new Date(T0 + WINDOWS * HOUR) });
    const check = await reader.results(experiment);
    const requests = check.variants.reduce((s, v) => s + Number(v.requests), 0);
    if (requests !== RESULTS_EVENTS)
      throw new Error(`results count ${requests} events, expected ${RESULTS_EVENTS}`);
    for (let i = 0; i < 10; i++) await reader.results(experiment);
    const latencies: number[] = [];
    for (let i = 0; i < queries; i++) {
      const started = process.hrtime.bigint();
      await reader.results(experiment);
      latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    await resultsStore.close();

    const ingest = summarize(ingestRuns.map((r) => r.perSecond));
    const decode = summarize(decodeRuns.map((r) => r.perSecond));
    const ratio = summarize(ingestRuns.map((r, i) => r.perSecond / decodeRuns[i].perSecond));
    const ingestCpu = summarize(ingestRuns.map((r) => r.cpuUsPerEvent));
    const decodeCpu = summarize(decodeRuns.map((r) => r.cpuUsPerEvent));
    if (ingest.spread > 0.2 || decode.spread > 0.2) log('spread above 20%: the machine is noisy');
    return {
      bench: 'analyzer',
      events_per_s: Math.round(ingest.median),
      events_per_s_min: Math.round(ingest.min),
      events_per_s_max: Math.round(ingest.max),
      decode_events_per_s: Math.round(decode.median),
      decode_events_per_s_min: Math.round(decode.min),
      decode_events_per_s_max: Math.round(decode.max),
      cpu_us_per_event: Number(ingestCpu.median.toFixed(2)),
      decode_cpu_us_per_event: Number(decodeCpu.median.toFixed(2)),
      // What one core fully given to the ingest would sustain (the machine is shared).
      events_per_cpu_s: Math.round(1e6 / ingestCpu.median),
      results_events: RESULTS_EVENTS,
      results_p50_ms: Number(quantile(latencies, 0.5).toFixed(3)),
      results_p90_ms: Number(quantile(latencies, 0.9).toFixed(3)),
      results_p99_ms: Number(quantile(latencies, 0.99).toFixed(3)),
      ratios: {
        ingest_vs_decode: Number(ratio.median.toFixed(3)),
        ingest_vs_decode_min: Number(ratio.min.toFixed(3)),
        ingest_vs_decode_max: Number(ratio.max.toFixed(3)),
        ingest_vs_decode_cpu: Number((decodeCpu.median / ingestCpu.median).toFixed(3)),
      },
      config: {
        quick,
        rounds,
        events_per_run: perRun,
        events_per_call: BATCH,
        calls_in_flight: IN_FLIGHT,
        distinct_units: UNITS,
        results_windows: WINDOWS,
        results_queries: queries,
        store: 'embedded (memory + append-only file, fsync batch)',
        transport: 'in-process (no gRPC)',
        baseline: 'fromBinary of the same RecordExposuresRequest bytes',
      },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
