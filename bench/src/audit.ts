/**
 * bench/audit: durable appends per second through the audit log (validation, canonical
 * encoding, SHA-256 leaf hashing, group commit with fdatasync, tree update) against raw appends
 * of the same bytes with the same group-commit-and-fdatasync policy and no hashing, alternated
 * in one process; then inclusion-proof latency from a tree of one million records. In-process:
 * no gRPC on either side (the gRPC floor is measured by the transport benches).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { encodeRecord, leafHash } from '@verdict/audit-client';
import { auditV1 } from '@verdict/proto';
import { openAuditLog } from '../../apps/audit/src/log/audit-log';
import { createMerkleTree } from '../../apps/audit/src/merkle/merkle-tree';
import { quantile, summarize } from './stats';

/** Concurrent producers, each appending `BATCH` records per call, as many services would. */
const PRODUCERS = 16;
const BATCH = 100;
const PROOF_TREE_SIZE = 1_000_000;
/** The segment store's frame header: magic, record count, payload bytes, CRC-32. */
const FRAME_HEADER_BYTES = 16;
const FRAME_MAGIC = 0x56414c31;

const log = (message: string) => process.stderr.write(`bench/audit: ${message}\n`);

function makeRecords(count: number): auditV1.Record[] {
  const now = BigInt(Math.floor(Date.now() / 1000));
  return Array.from({ length: count }, (_, i) =>
    create(auditV1.RecordSchema, {
      id: `bench-${i}-${randomBytes(4).toString('hex')}`,
      time: { seconds: now, nanos: i % 1_000_000_000 },
      actor: 'spiffe://verdict.local/ns/default/sa/router',
      action: 'inference.request',
      resource: 'model/spam/version/3',
      outcome: auditV1.Outcome.SUCCESS,
      traceId: randomBytes(16).toString('hex'),
      serving: {
        model: 'spam',
        version: '3',
        experiment: 'exp-1',
        variant: 'b',
        latencyUs: 850n,
        statusCode: 0,
        inputSha256: randomBytes(32).toString('hex'),
        inputBytes: 2048n,
        unitHash: randomBytes(16).toString('hex'),
        requestId: `req-${i}`,
      },
    }),
  );
}

/**
 * Runs PRODUCERS loops that each take the next `perCall` items until none are left; returns
 * records/s, each item standing for `recordsPerItem` records. Also returns the process's CPU
 * time per record.
 */
async function drive<T>(
  items: readonly T[],
  perCall: number,
  append: (batch: T[]) => Promise<unknown>,
  recordsPerItem = 1,
): Promise<Run> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < items.length) {
        const batch = items.slice(next, next + perCall);
        next += perCall;
        await append(batch);
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  const records = items.length * recordsPerItem;
  return { perSecond: records / seconds, cpuUs: (used.user + used.system) / records };
}

/** One timed run: records per second and microseconds of CPU per record. */
interface Run {
  perSecond: number;
  cpuUs: number;
}

async function auditRun(dir: string, records: auditV1.Record[]): Promise<Run> {
  const auditLog = await openAuditLog({ dir });
  try {
    return await drive(records, BATCH, (batch) => auditLog.append(batch));
  } finally {
    await auditLog.close();
  }
}

/**
 * The floor: the same bytes the audit log writes (16-byte frame header, then `u32 length |
 * record` per record), one writev plus fdatasync per group of waiting calls, exactly as the
 * log's group commit does, but with the records already encoded and framed per call outside
 * the timing, no CRC and no hashing: the cheapest honest way to make those bytes durable.
 */
async function rawRun(file: string, framed: Buffer[]): Promise<Run> {
  const handle = await open(file, 'wx');
  await syncDirectory(dirname(file));
  let position = 0;
  let waiting: Array<{ part: Buffer; done: () => void }> = [];
  let writing = false;
  const commit = async () => {
    writing = true;
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      const parts = group.map((entry) => entry.part);
      const payloadBytes = parts.reduce((sum, part) => sum + part.length, 0);
      const header = Buffer.alloc(FRAME_HEADER_BYTES);
      header.writeUInt32BE(FRAME_MAGIC, 0);
      header.writeUInt32BE(group.length * BATCH, 4);
      header.writeUInt32BE(payloadBytes, 8);
      const { bytesWritten } = await handle.writev([header, ...parts], position);
      await handle.datasync();
      position += bytesWritten;
      group.forEach((entry) => entry.done());
    }
    writing = false;
  };
  try {
    return await drive(
      framed,
      1,
      ([part]) =>
        new Promise<void>((done) => {
          waiting.push({ part, done });
          if (!writing) void commit();
        }),
      BATCH,
    );
  } finally {
    await handle.close();
  }
}

/** The segment store fsyncs the directory when it creates a segment file; so does the floor. */
async function syncDirectory(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Each call's records as one buffer in the segment payload framing, as the audit log builds them. */
function frameCalls(records: auditV1.Record[]): Buffer[] {
  const calls: Buffer[] = [];
  for (let i = 0; i < records.length; i += BATCH) {
    calls.push(
      Buffer.concat(
        records.slice(i, i + BATCH).flatMap((record) => {
          const bytes = encodeRecord(record);
          const prefix = Buffer.allocUnsafe(4);
          prefix.writeUInt32BE(bytes.length);
          return [prefix, bytes];
        }),
      ),
    );
  }
  return calls;
}

function proofLatencies(samples: number): number[] {
  const tree = createMerkleTree();
  const seed = randomBytes(8 * PROOF_TREE_SIZE);
  for (let i = 0; i < PROOF_TREE_SIZE; i++) tree.append(leafHash(seed.subarray(i * 8, i * 8 + 8)));
  const latencies: number[] = [];
  for (let i = 0; i < samples; i++) {
    const index = Math.floor(Math.random() * PROOF_TREE_SIZE);
    const started = process.hrtime.bigint();
    tree.inclusionProof(index, PROOF_TREE_SIZE);
    latencies.push(Number(process.hrtime.bigint() - started) / 1000);
  }
  return latencies;
}

/** Runs the benchmark and returns its JSON result. */
export async function runAuditBench({ quick }: { quick: boolean }): Promise<object> {
  // Whole calls only: the floor counts BATCH records per call.
  const perRun = quick ? 30_000 : 300_000;
  const rounds = quick ? 5 : 7;
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-audit-'));
  try {
    log(
      `${rounds} rounds of ${perRun} records each side, ${PRODUCERS} producers x ${BATCH} records per call, sides alternating which goes first`,
    );
    // Warm-up: enough calls on each side for the JIT to settle, so round 1 is not a cold start.
    for (let warm = 0; warm < 2; warm++) {
      const records = makeRecords(perRun);
      await auditRun(join(dir, `warm-log-${warm}`), records);
      await rawRun(join(dir, `warm-${warm}.raw`), frameCalls(records));
    }
    const audit: Run[] = [];
    const raw: Run[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const records = makeRecords(perRun);
      const framed = frameCalls(records);
      const runRaw = async () => raw.push(await rawRun(join(dir, `raw-${round}`), framed));
      const runAudit = async () => audit.push(await auditRun(join(dir, `log-${round}`), records));
      if (round % 2 === 0) {
        await runRaw();
        await runAudit();
      } else {
        await runAudit();
        await runRaw();
      }
      ratios.push(audit[round].perSecond / raw[round].perSecond);
      log(
        `round ${round + 1} (${round % 2 === 0 ? 'raw' : 'audit'} first): audit ${Math.round(audit[round].perSecond)}/s ` +
          `(${audit[round].cpuUs.toFixed(1)} us CPU/record), raw ${Math.round(raw[round].perSecond)}/s ` +
          `(${raw[round].cpuUs.toFixed(1)} us CPU/record), ratio ${ratios[round].toFixed(2)}`,
      );
      await rm(join(dir, `raw-${round}`), { force: true });
      await rm(join(dir, `log-${round}`), { recursive: true, force: true });
    }
    log(`building a tree of ${PROOF_TREE_SIZE} records for proof latency`);
    const latencies = proofLatencies(quick ? 20_000 : 100_000);
    const a = summarize(audit.map((run) => run.perSecond));
    const r = summarize(raw.map((run) => run.perSecond));
    const aCpu = summarize(audit.map((run) => run.cpuUs));
    const rCpu = summarize(raw.map((run) => run.cpuUs));
    const ratio = summarize(ratios);
    for (const [name, s] of [
      ['audit', a],
      ['raw', r],
      ['ratio', ratio],
    ] as const) {
      if (s.spread > 0.2)
        log(`spread of ${name} runs is ${(s.spread * 100).toFixed(0)}% (over 20%)`);
    }
    return {
      bench: 'audit',
      appends_per_s: Math.round(a.median),
      appends_per_s_min: Math.round(a.min),
      appends_per_s_max: Math.round(a.max),
      raw_appends_per_s: Math.round(r.median),
      raw_appends_per_s_min: Math.round(r.min),
      raw_appends_per_s_max: Math.round(r.max),
      cpu_us_per_append: Number(aCpu.median.toFixed(2)),
      raw_cpu_us_per_append: Number(rCpu.median.toFixed(2)),
      ratios: {
        vs_raw_appends: Number(ratio.median.toFixed(3)),
        vs_raw_appends_min: Number(ratio.min.toFixed(3)),
        vs_raw_appends_max: Number(ratio.max.toFixed(3)),
      },
      proof_tree_size: PROOF_TREE_SIZE,
      proof_p50_us: Number(quantile(latencies, 0.5).toFixed(1)),
      proof_p90_us: Number(quantile(latencies, 0.9).toFixed(1)),
      proof_p99_us: Number(quantile(latencies, 0.99).toFixed(1)),
      config: {
        producers: PRODUCERS,
        records_per_call: BATCH,
        records_per_run: perRun,
        rounds,
        quick,
        transport: 'in-process (no gRPC)',
        fsync: 'fdatasync per group commit, both sides',
        raw_side: 'same frame bytes, pre-encoded, writev, no CRC or hashing',
      },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
