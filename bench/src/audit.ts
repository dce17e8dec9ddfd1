/**
 * bench/audit: durable appends per second through the audit log (validation, canonical
 * encoding, id index, group commit with fdatasync, SHA-256 leaf and node hashing on its worker
 * thread, tree update) against raw appends of the same records with the same
 * group-commit-and-fdatasync policy and no hashing, alternated in one process; then
 * inclusion-proof latency from a tree of one million records. In-process: no gRPC on any side
 * (the gRPC floor is measured by the transport benches).
 *
 * Two raw sides. The floor the goal is measured against (`vs_raw_appends`) appends the records
 * as a plain durable log would: it encodes each call's records with the log's canonical
 * encoder into the log's framing and group-commits them, skipping validation, the id index,
 * the CRC and all hashing. The second (`vs_preencoded_writes`) only writes bytes encoded before
 * the timing starts: what the disk and the group commit alone allow.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { encodeRecordInto, leafHash, maxEncodedRecordBytes } from '@verdict/audit-client';
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

/** The sides compared: the audit log and the two raw floors. */
type Side = 'audit' | 'raw' | 'preencoded';

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
 * A raw side: the same frame bytes the audit log writes (16-byte frame header, then `u32 length |
 * record` per record), one writev plus fdatasync per group of waiting calls, exactly as the
 * log's group commit does, with no CRC and no hashing. `toBytes` turns one call's item into its
 * payload: encoding inside the timing, or handing over bytes encoded before it.
 */
async function rawRun<T>(file: string, calls: T[], toBytes: (call: T) => Buffer): Promise<Run> {
  const handle = await open(file, 'wx');
  await syncDirectory(dirname(file));
  let position = 0;
  let waiting: Array<{ part: Buffer; records: number; done: () => void }> = [];
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
      header.writeUInt32BE(
        group.reduce((sum, entry) => sum + entry.records, 0),
        4,
      );
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
      calls,
      1,
      ([call]) =>
        new Promise<void>((done) => {
          waiting.push({ part: toBytes(call), records: BATCH, done });
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

/** The records split into calls of BATCH, as the producers send them. */
function splitCalls(records: auditV1.Record[]): auditV1.Record[][] {
  const calls: auditV1.Record[][] = [];
  for (let i = 0; i < records.length; i += BATCH) calls.push(records.slice(i, i + BATCH));
  return calls;
}

/** One call's records in the segment payload framing, encoded with the log's canonical encoder. */
function frameCall(records: auditV1.Record[]): Buffer {
  let bound = 0;
  for (const record of records) bound += 4 + maxEncodedRecordBytes(record);
  const scratch = Buffer.allocUnsafe(bound);
  let at = 0;
  for (const record of records) {
    const end = encodeRecordInto(record, scratch, at + 4);
    scratch.writeUInt32BE(end - at - 4, at);
    at = end;
  }
  return scratch.subarray(0, at);
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
  // Whole calls only: the raw sides count BATCH records per call.
  const perRun = quick ? 30_000 : 300_000;
  const rounds = quick ? 6 : 9;
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-audit-'));
  const sides: Array<{
    name: Side;
    run: (file: string, records: auditV1.Record[]) => Promise<Run>;
  }> = [
    { name: 'audit', run: auditRun },
    { name: 'raw', run: (file, records) => rawRun(file, splitCalls(records), frameCall) },
    {
      name: 'preencoded',
      run: (file, records) => rawRun(file, splitCalls(records).map(frameCall), (bytes) => bytes),
    },
  ];
  try {
    log(
      `${rounds} rounds of ${perRun} records on each of ${sides.map((side) => side.name).join(', ')}; ` +
        `${PRODUCERS} producers x ${BATCH} records per call; each round starts with the next side`,
    );
    // Warm-up: enough calls on each side for the JIT to settle, so round 1 is not a cold start.
    for (let warm = 0; warm < 2; warm++) {
      for (const side of sides)
        await side.run(join(dir, `warm-${warm}-${side.name}`), makeRecords(perRun));
    }
    const runs: Record<Side, Run[]> = { audit: [], raw: [], preencoded: [] };
    for (let round = 0; round < rounds; round++) {
      const records = makeRecords(perRun);
      for (let turn = 0; turn < sides.length; turn++) {
        const side = sides[(round + turn) % sides.length];
        const file = join(dir, `${side.name}-${round}`);
        runs[side.name].push(await side.run(file, records));
        await rm(file, { recursive: true, force: true });
      }
      const line = sides.map(({ name }) => {
        const run = runs[name][round];
        return `${name} ${Math.round(run.perSecond)}/s (${run.cpuUs.toFixed(1)} us CPU/record)`;
      });
      log(`round ${round + 1} (${sides[round % sides.length].name} first): ${line.join(', ')}`);
    }
    log(`building a tree of ${PROOF_TREE_SIZE} records for proof latency`);
    const latencies = proofLatencies(quick ? 20_000 : 100_000);
    const rate = (side: Side) => summarize(runs[side].map((run) => run.perSecond));
    const cpu = (side: Side) => summarize(runs[side].map((run) => run.cpuUs)).median;
    const ratio = (floor: Side) =>
      summarize(runs.audit.map((run, round) => run.perSecond / runs[floor][round].perSecond));
    const [a, r, p] = [rate('audit'), rate('raw'), rate('preencoded')];
    const [vsRaw, vsPreencoded] = [ratio('raw'), ratio('preencoded')];
    for (const [name, s] of [
      ['audit', a],
      ['raw', r],
      ['preencoded', p],
      ['audit / raw', vsRaw],
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
      preencoded_writes_per_s: Math.round(p.median),
      cpu_us_per_append: Number(cpu('audit').toFixed(2)),
      raw_cpu_us_per_append: Number(cpu('raw').toFixed(2)),
      preencoded_cpu_us_per_write: Number(cpu('preencoded').toFixed(2)),
      ratios: {
        vs_raw_appends: Number(vsRaw.median.toFixed(3)),
        vs_raw_appends_min: Number(vsRaw.min.toFixed(3)),
        vs_raw_appends_max: Number(vsRaw.max.toFixed(3)),
        vs_preencoded_writes: Number(vsPreencoded.median.toFixed(3)),
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
        fsync: 'fdatasync per group commit, every side',
        raw_side:
          'same records, encoded per call with the canonical encoder into the same framing, writev; no validation, id index, CRC or hashing',
        preencoded_side: 'same frame bytes, encoded before the timing, writev; no CRC or hashing',
      },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
