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
import { join } from 'node:path';
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

/** Runs PRODUCERS loops that each take the next BATCH items until none are left; returns items/s. */
async function drive<T>(items: readonly T[], append: (batch: T[]) => Promise<unknown>): Promise<number> {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: PRODUCERS }, async () => {
      while (next < items.length) {
        const batch = items.slice(next, next + BATCH);
        next += BATCH;
        await append(batch as T[]);
      }
    }),
  );
  return items.length / (Number(process.hrtime.bigint() - started) / 1e9);
}

async function auditRun(dir: string, records: auditV1.Record[]): Promise<number> {
  const auditLog = await openAuditLog({ dir });
  try {
    return await drive(records, (batch) => auditLog.append(batch));
  } finally {
    await auditLog.close();
  }
}

/** The floor: the same bytes, length-prefixed, one write plus fdatasync per group of waiting batches. */
async function rawRun(file: string, encoded: Buffer[]): Promise<number> {
  const handle = await open(file, 'w');
  let position = 0;
  let waiting: Array<{ bytes: Buffer[]; done: () => void }> = [];
  let writing = false;
  const commit = async () => {
    writing = true;
    while (waiting.length > 0) {
      const group = waiting;
      waiting = [];
      const frames = group.flatMap((entry) => entry.bytes.flatMap((bytes) => [lengthOf(bytes), bytes]));
      const chunk = Buffer.concat(frames);
      await handle.write(chunk, 0, chunk.length, position);
      await handle.datasync();
      position += chunk.length;
      group.forEach((entry) => entry.done());
    }
    writing = false;
  };
  try {
    return await drive(encoded, (bytes) =>
      new Promise<void>((done) => {
        waiting.push({ bytes, done });
        if (!writing) void commit();
      }),
    );
  } finally {
    await handle.close();
  }
}

function lengthOf(bytes: Buffer): Buffer {
  const prefix = Buffer.allocUnsafe(4);
  prefix.writeUInt32BE(bytes.length);
  return prefix;
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
  const perRun = quick ? 30_000 : 300_000;
  const rounds = quick ? 3 : 5;
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-audit-'));
  try {
    log(`${rounds} rounds of ${perRun} records each side, ${PRODUCERS} producers x ${BATCH} records per call`);
    await auditRun(join(dir, 'warm-log'), makeRecords(5_000));
    await rawRun(join(dir, 'warm.raw'), makeRecords(5_000).map(encodeRecord));
    const audit: number[] = [];
    const raw: number[] = [];
    const ratios: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const records = makeRecords(perRun);
      const encoded = records.map(encodeRecord);
      raw.push(await rawRun(join(dir, `raw-${round}`), encoded));
      audit.push(await auditRun(join(dir, `log-${round}`), records));
      ratios.push(audit[round] / raw[round]);
      log(`round ${round + 1}: audit ${Math.round(audit[round])}/s, raw ${Math.round(raw[round])}/s, ratio ${ratios[round].toFixed(2)}`);
      await rm(join(dir, `raw-${round}`), { force: true });
      await rm(join(dir, `log-${round}`), { recursive: true, force: true });
    }
    log(`building a tree of ${PROOF_TREE_SIZE} records for proof latency`);
    const latencies = proofLatencies(quick ? 20_000 : 100_000);
    const a = summarize(audit);
    const r = summarize(raw);
    const ratio = summarize(ratios);
    for (const [name, s] of [['audit', a], ['raw', r], ['ratio', ratio]] as const) {
      if (s.spread > 0.2) log(`spread of ${name} runs is ${(s.spread * 100).toFixed(0)}% (over 20%)`);
    }
    return {
      bench: 'audit',
      appends_per_s: Math.round(a.median),
      appends_per_s_min: Math.round(a.min),
      appends_per_s_max: Math.round(a.max),
      raw_appends_per_s: Math.round(r.median),
      raw_appends_per_s_min: Math.round(r.min),
      raw_appends_per_s_max: Math.round(r.max),
      ratios: { vs_raw_appends: Number(ratio.median.toFixed(3)) },
      proof_tree_size: PROOF_TREE_SIZE,
      proof_p50_us: Number(quantile(latencies, 0.5).toFixed(1)),
      proof_p90_us: Number(quantile(latencies, 0.9).toFixed(1)),
      proof_p99_us: Number(quantile(latencies, 0.99).toFixed(1)),
      config: { producers: PRODUCERS, records_per_call: BATCH, records_per_run: perRun, rounds, quick, transport: 'in-process (no gRPC)', fsync: 'fdatasync per group commit' },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
