/**
 * The processes of bench/model-server: the real model server (started from its sources with
 * tsx, exactly as `node --import tsx apps/model-server/src/main.ts` would), the echo and naive
 * baselines, and the load generator; plus reading a child's CPU time from /proc.
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface, type Interface } from 'node:readline';
import type { BaselineSettings } from './model-server-baselines';
import type { LoadCommand, LoadResult } from './model-server-load';

const REPO_ROOT = resolve(__dirname, '..', '..');
const MODEL_SERVER_DIR = join(REPO_ROOT, 'apps', 'model-server');
/** How long a child may take to listen before the bench gives up. */
const START_TIMEOUT_MS = 60_000;
const READY_POLL_MS = 100;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** A child process the bench measures. */
export interface MeasuredProcess {
  readonly pid: number;
  readonly address: string;
  /** User plus system CPU time of the whole process (all threads) so far, in microseconds. */
  cpuUs(): number;
  stop(): Promise<void>;
}

function tsxChild(args: string[], cwd: string, env?: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
}

function procCpuUs(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

function measured(child: ChildProcess, address: string): MeasuredProcess {
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    pid: child.pid!,
    address,
    cpuUs: () => procCpuUs(child.pid!),
    async stop() {
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** A free local TCP port (the model server is told its ports rather than reporting them). */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}

/** Settings of the real model server, written to its YAML config file. */
export interface ModelServerSettings {
  readonly dir: string;
  readonly repository: string;
  readonly policyFile: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  readonly intraOpNumThreads: number;
  /** Extra node options, e.g. `--cpu-prof`. */
  readonly nodeArgs?: readonly string[];
}

/** Starts `apps/model-server/src/main.ts` as a child process and waits for `/readyz`. */
export async function startModelServer(settings: ModelServerSettings): Promise<MeasuredProcess> {
  const grpcPort = await freePort();
  const opsPort = await freePort();
  const configFile = join(settings.dir, 'model-server.yaml');
  await writeFile(
    configFile,
    JSON.stringify({
      grpc: { port: grpcPort },
      ops: { port: opsPort },
      tls: {
        mode: 'mtls',
        caFile: settings.caFile,
        certFile: settings.certFile,
        keyFile: settings.keyFile,
      },
      policyFile: settings.policyFile,
      dataDir: join(settings.dir, 'data'),
      log: { level: 'warn' },
      shutdownGraceMs: 1000,
      models: { repository: settings.repository, intraOpNumThreads: settings.intraOpNumThreads },
    }),
  );
  const child = tsxChild([...(settings.nodeArgs ?? []), 'src/main.ts'], MODEL_SERVER_DIR, {
    VERDICT_CONFIG_FILE: configFile,
  });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`model server exited with ${child.exitCode}`);
    const ready = await fetch(`http://127.0.0.1:${opsPort}/readyz`).then(
      (response) => response.ok,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error('model server did not become ready');
    }
    await new Promise((done) => setTimeout(done, READY_POLL_MS));
  }
  return measured(child, `127.0.0.1:${grpcPort}`);
}

/** Starts the echo or naive baseline server and waits for its `ready <port>` line. */
export async function startBaseline(settings: BaselineSettings): Promise<MeasuredProcess> {
  const child = tsxChild(
    [join(__dirname, 'model-server-baselines.ts'), JSON.stringify(settings)],
    join(REPO_ROOT, 'bench'),
  );
  const lines = createInterface({ input: child.stdout! });
  const port = await new Promise<number>((done, fail) => {
    const timer = setTimeout(
      () => fail(new Error(`${settings.mode} did not start`)),
      START_TIMEOUT_MS,
    );
    child.once('exit', (code) => fail(new Error(`${settings.mode} exited with ${code}`)));
    lines.once('line', (line) => {
      clearTimeout(timer);
      done(Number(line.split(' ')[1]));
    });
  });
  return measured(child, `127.0.0.1:${port}`);
}

/** The load generator process: one command at a time. */
export interface LoadGenerator {
  run(command: LoadCommand): Promise<LoadResult>;
  stop(): Promise<void>;
}

/** Starts the load generator (model-server-load.ts) in its own process. */
export function startLoadGenerator(): LoadGenerator {
  const child = tsxChild([join(__dirname, 'model-server-load.ts')], join(REPO_ROOT, 'bench'));
  const lines: Interface = createInterface({ input: child.stdout! });
  const waiting: Array<(line: string) => void> = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  return {
    run(command) {
      return new Promise((done, fail) => {
        waiting.push((line) => {
          const result = JSON.parse(line) as LoadResult | { error: string };
          if ('error' in result) fail(new Error(`load generator: ${result.error}`));
          else done(result);
        });
        child.stdin!.write(`${JSON.stringify(command)}\n`);
      });
    },
    async stop() {
      const exited = new Promise((done) => child.once('exit', done));
      child.stdin!.end();
      await exited;
    },
  };
}
