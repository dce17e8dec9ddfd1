/**
 * bench/registry: upload and download throughput of one large ONNX artifact through the
 * registry (encrypted at rest, hashed, validated, fsynced) against a bare gRPC byte stream that
 * copies the same file over the same mutual TLS, both servers in their own processes, sides
 * alternating which runs first; and the registry process's peak resident set (VmHWM).
 */
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client, credentials, type ClientWritableStream } from '@grpc/grpc-js';
import { DEFAULT_MAX_MESSAGE_BYTES, createClient } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import { initDevPki } from '@verdict/security';
import { readFileSync } from 'node:fs';
import {
  DEFAULT_TRANSFER_CHUNK_BYTES,
  downloadToFile,
  hashFile,
  uploadFile,
} from '../../apps/cli/src/commands/model-transfer';
import { REPO_ROOT, freePort, startChild } from './registry-processes';
import { writeBenchArtifact } from './registry-artifact';
import { summarize } from './stats';

const MIB = 1024 * 1024;
/** Full mode: the size the issue names. Quick mode: small enough to finish in a minute. */
const FULL_BYTES = 512 * MIB;
const QUICK_BYTES = 64 * MIB;
/** Same message size on both sides, equal to the registry's encrypted chunk. */
const CHUNK_BYTES = DEFAULT_TRANSFER_CHUNK_BYTES;
/**
 * Rounds per side. The round-to-round spread of the ratio is wide on a small machine
 * (docs/benchmarks.md#benchregistry), so a full run takes the median of 5; quick mode stays at
 * the minimum 3.
 */
const FULL_ROUNDS = 5;
const QUICK_ROUNDS = 3;

const log = (message: string) => process.stderr.write(`bench/registry: ${message}\n`);

/** Seconds taken by `work`. */
async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

interface Pki {
  ca: string;
  server: (name: string) => { certFile: string; keyFile: string };
  client: { certFile: string; keyFile: string };
}

/** The bare floor's client: grpc-js with identity serializers over the same mTLS files. */
function bareClient(address: string, pki: Pki) {
  const client = new Client(
    address,
    credentials.createSsl(
      readFileSync(pki.ca),
      readFileSync(pki.client.keyFile),
      readFileSync(pki.client.certFile),
    ),
    {
      'grpc.max_receive_message_length': DEFAULT_MAX_MESSAGE_BYTES,
      'grpc.max_send_message_length': DEFAULT_MAX_MESSAGE_BYTES,
    },
  );
  const identity = (buffer: Buffer) => buffer;
  return {
    async upload(file: string): Promise<number> {
      let call: ClientWritableStream<Buffer> | undefined;
      const answer = new Promise<Buffer>((resolve, reject) => {
        call = client.makeClientStreamRequest<Buffer, Buffer>(
          '/bench.Bare/Upload',
          identity,
          identity,
          (error, value) => (error ? reject(error) : resolve(value!)),
        );
      });
      for await (const chunk of createReadStream(file, { highWaterMark: CHUNK_BYTES })) {
        if (!call!.write(chunk)) await new Promise((resolve) => call!.once('drain', resolve));
      }
      call!.end();
      return Number((await answer).readBigUInt64BE());
    },
    async download(out: string): Promise<number> {
      const handle = await open(out, 'w');
      let position = 0;
      try {
        const call = client.makeServerStreamRequest<Buffer, Buffer>(
          '/bench.Bare/Download',
          identity,
          identity,
          Buffer.alloc(0),
        );
        for await (const chunk of call as AsyncIterable<Buffer>) {
          await handle.write(chunk, 0, chunk.length, position);
          position += chunk.length;
        }
        await handle.sync();
      } finally {
        await handle.close();
      }
      return position;
    },
    close: () => client.close(),
  };
}

/** Runs the benchmark and returns its JSON result. */
export async function runRegistryBench({ quick }: { quick: boolean }): Promise<object> {
  const artifactBytes = quick ? QUICK_BYTES : FULL_BYTES;
  const roundCount = quick ? QUICK_ROUNDS : FULL_ROUNDS;
  const dir = await mkdtemp(join(tmpdir(), 'verdict-bench-registry-'));
  const stops: Array<() => Promise<void> | void> = [];
  try {
    log(
      `${quick ? 'QUICK mode: a 64 MiB artifact (full mode: 512 MiB)' : 'a 512 MiB artifact'}, ` +
        `${roundCount} rounds per side after a warm-up, sides alternating which goes first`,
    );
    const dev = await initDevPki({
      dir: join(dir, 'pki'),
      services: ['registry', 'bench-bare'],
      clientName: 'bench',
    });
    const pki: Pki = {
      ca: dev.caCert,
      server: (name) => ({ certFile: dev.services[name].cert, keyFile: dev.services[name].key }),
      client: { certFile: dev.client.cert, keyFile: dev.client.key },
    };
    await writeFile(
      join(dir, 'policy.yaml'),
      "roles:\n  admin: ['*']\nbindings:\n  - principals: ['spiffe://verdict.local/ns/default/sa/bench']\n    roles: [admin]\n",
    );
    const artifact = await writeBenchArtifact(join(dir, 'artifact.onnx'), artifactBytes);
    log(`artifact: ${(artifact.sizeBytes / MIB).toFixed(1)} MiB valid ONNX at ${artifact.path}`);

    const registryPort = await freePort();
    const transport = {
      mode: 'mtls' as const,
      caFile: pki.ca,
      certFile: pki.client.certFile,
      keyFile: pki.client.keyFile,
    };
    const registryClient = createClient(registryV1.RegistryService, {
      address: `127.0.0.1:${registryPort}`,
      transport,
    });
    stops.push(() => registryClient.close());
    // The registry runs as deployed: its compiled JavaScript (tsx would add its own memory).
    log('building the registry (nx, cached when up to date)');
    execFileSync('npx', ['nx', 'run', '@verdict/registry:build'], {
      cwd: REPO_ROOT,
      env: { ...process.env, NX_DAEMON: 'false' },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const registry = await startChild({
      entry: 'apps/registry/dist/main.js',
      port: registryPort,
      env: {
        VERDICT_GRPC_PORT: String(registryPort),
        VERDICT_OPS_PORT: '0',
        VERDICT_TLS_CA_FILE: pki.ca,
        VERDICT_TLS_CERT_FILE: pki.server('registry').certFile,
        VERDICT_TLS_KEY_FILE: pki.server('registry').keyFile,
        VERDICT_DATA_DIR: join(dir, 'registry-data'),
        VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
        VERDICT_LOG_LEVEL: 'warn',
      },
      ready: async () => {
        await registryClient.listModels({});
      },
    });
    stops.push(() => registry.stop());
    await mkdir(join(dir, 'bare-data'));
    const bare = await startChild({
      entry: 'bench/src/registry-bare-server.ts',
      tsconfig: join(REPO_ROOT, 'bench/tsconfig.json'),
      env: {
        BARE_DIR: join(dir, 'bare-data'),
        BARE_CHUNK_BYTES: String(CHUNK_BYTES),
        BARE_CA_FILE: pki.ca,
        BARE_CERT_FILE: pki.server('bench-bare').certFile,
        BARE_KEY_FILE: pki.server('bench-bare').keyFile,
      },
      portFromLine: (line) => {
        const match = /^listening (\d+)$/.exec(line);
        return match ? Number(match[1]) : undefined;
      },
    });
    stops.push(() => bare.stop());
    const bareSide = bareClient(`127.0.0.1:${bare.port}`, pki);
    stops.push(() => bareSide.close());
    await registryClient.createModel({ name: 'bench', team: 'bench' });
    // What the process holds before any artifact moves: Node, its modules, grpc-js.
    const startRss = await registry.peakRssMib();

    const out = join(dir, 'pulled.onnx');
    const hashSeconds: number[] = [];
    /** One round: both sides upload then download the same (freshly retagged) file. */
    const round = async (index: number, registryFirst: boolean) => {
      await artifact.retag(index);
      let sha256 = '';
      hashSeconds.push(
        await timed(
          async () => ({ sha256 } = await hashFile(artifact.path, { chunkBytes: CHUNK_BYTES })),
        ),
      );
      const result = { registryUp: 0, registryDown: 0, bareUp: 0, bareDown: 0 };
      const registryRun = async () => {
        let version = 0n;
        result.registryUp = await timed(async () => {
          const uploaded = await uploadFile(registryClient, artifact.path, {
            model: 'bench',
            sha256,
            sizeBytes: artifact.sizeBytes,
            chunkBytes: CHUNK_BYTES,
          });
          if (!uploaded.created) throw new Error('the registry already had these bytes');
          version = uploaded.version!.number;
        });
        await rm(out, { force: true });
        result.registryDown = await timed(() =>
          downloadToFile(registryClient, 'bench', { version }, out),
        );
      };
      const bareRun = async () => {
        result.bareUp = await timed(async () => {
          if ((await bareSide.upload(artifact.path)) !== artifact.sizeBytes)
            throw new Error('bare upload lost bytes');
        });
        await rm(out, { force: true });
        result.bareDown = await timed(async () => {
          if ((await bareSide.download(out)) !== artifact.sizeBytes)
            throw new Error('bare download lost bytes');
        });
      };
      if (registryFirst) {
        await registryRun();
        await bareRun();
      } else {
        await bareRun();
        await registryRun();
      }
      return result;
    };

    log('warm-up round (not counted)');
    await round(0, true);
    const rounds: Awaited<ReturnType<typeof round>>[] = [];
    for (let i = 1; i <= roundCount; i++) {
      const registryFirst = i % 2 === 0;
      const r = await round(i, registryFirst);
      rounds.push(r);
      const rate = (seconds: number) => `${(artifact.sizeBytes / MIB / seconds).toFixed(0)} MiB/s`;
      log(
        `round ${i} (${registryFirst ? 'registry' : 'bare'} first): upload registry ${rate(r.registryUp)} ` +
          `bare ${rate(r.bareUp)} (${(r.bareUp / r.registryUp).toFixed(2)}x); download registry ` +
          `${rate(r.registryDown)} bare ${rate(r.bareDown)} (${(r.bareDown / r.registryDown).toFixed(2)}x)`,
      );
    }
    const peakRss = await registry.peakRssMib();
    const bareRss = await bare.peakRssMib();
    const copySeconds = await timed(async () => {
      await copyFile(artifact.path, join(dir, 'copy.onnx'));
      const handle = await open(join(dir, 'copy.onnx'), 'r+');
      await handle.sync();
      await handle.close();
    });

    const mibps = (seconds: readonly number[]) =>
      summarize(seconds.map((s) => artifact.sizeBytes / MIB / s));
    const up = summarize(rounds.map((r) => r.bareUp / r.registryUp));
    const down = summarize(rounds.map((r) => r.bareDown / r.registryDown));
    const figures = {
      registry_upload: mibps(rounds.map((r) => r.registryUp)),
      bare_upload: mibps(rounds.map((r) => r.bareUp)),
      registry_download: mibps(rounds.map((r) => r.registryDown)),
      bare_download: mibps(rounds.map((r) => r.bareDown)),
      upload_vs_bare: up,
      download_vs_bare: down,
    };
    for (const [name, s] of Object.entries(figures)) {
      if (s.spread > 0.2) log(`spread of ${name} is ${(s.spread * 100).toFixed(0)}% (over 20%)`);
    }
    const round1 = (value: number) => Number(value.toFixed(1));
    const round3 = (value: number) => Number(value.toFixed(3));
    return {
      bench: 'registry',
      artifact_mib: round1(artifact.sizeBytes / MIB),
      upload_mib_s: round1(figures.registry_upload.median),
      upload_mib_s_min: round1(figures.registry_upload.min),
      upload_mib_s_max: round1(figures.registry_upload.max),
      bare_upload_mib_s: round1(figures.bare_upload.median),
      download_mib_s: round1(figures.registry_download.median),
      download_mib_s_min: round1(figures.registry_download.min),
      download_mib_s_max: round1(figures.registry_download.max),
      bare_download_mib_s: round1(figures.bare_download.median),
      client_sha256_mib_s: round1(
        summarize(hashSeconds.map((s) => artifact.sizeBytes / MIB / s)).median,
      ),
      file_copy_mib_s: round1(artifact.sizeBytes / MIB / copySeconds),
      ratios: {
        upload_vs_bare: round3(up.median),
        upload_vs_bare_min: round3(up.min),
        upload_vs_bare_max: round3(up.max),
        download_vs_bare: round3(down.median),
        download_vs_bare_min: round3(down.min),
        download_vs_bare_max: round3(down.max),
      },
      peak_rss_mib: round1(peakRss),
      peak_rss_mib_before_transfers: round1(startRss),
      bare_server_peak_rss_mib: round1(bareRss),
      goals: { ratio_at_least: 0.7, peak_rss_mib_under: 200 },
      config: {
        quick,
        rounds: roundCount,
        chunk_bytes: CHUNK_BYTES,
        transport: 'mutual TLS (grpc-js) on both sides, servers in their own processes',
        registry_side:
          'UploadVersion with the digest precomputed (push hashes in a first pass: client_sha256_mib_s), AES-256-GCM at rest, SHA-256 and ONNX scan on the server, fsync + rename; DownloadVersion to a file with SHA-256 verification and fsync',
        bare_side:
          'same file streamed to a file on the server and back, fsync, no crypto or hashing',
        artifact:
          'a small MLP plus one large unused float initializer of random bytes (valid ONNX)',
      },
      env: { cpus: cpus().length, node: process.version },
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
    await rm(dir, { recursive: true, force: true });
  }
}
