/**
 * The processes of bench/model-server: the real model server (started from its sources with
 * tsx, exactly as `node --import tsx apps/model-server/src/main.ts` would), the echo and naive
 * baselines, and the load generator; plus reading a child's CPU time from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { freePort, httpReady, launch, spawnProcess, type LaunchedProcess } from '@verdict/process';
import type { BaselineSettings } from './model-server-baselines';
import type { LoadCommand, LoadResult } from './model-server-load';

const REPO_ROOT = resolve(__dirname, '..', '..');
const MODEL_SERVER_DIR = join(REPO_ROOT, 'apps', 'model-server');
/** How long a child may take to listen before the bench gives up. */
export const START_TIMEOUT_MS = 60_000;
const CLOCK_TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim());

/** A child process the bench measures. */
export interface MeasuredProcess {
  readonly pid: number;
  readonly address: string;
  /** User plus system CPU time of the whole process (all threads) so far, in microseconds. */
  cpuUs(): number;
  stop(): Promise<void>;
}

/** User plus system CPU time of one process (all its threads) so far, in microseconds. */
export function procCpuUs(pid: number): number {
  // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return (ticks * 1e6) / CLOCK_TICKS_PER_SECOND;
}

/** A launched child as the bench measures it. */
export function measured(child: LaunchedProcess, address: string): MeasuredProcess {
  return {
    pid: child.pid,
    address,
    cpuUs: () => procCpuUs(child.pid),
    async stop() {
      await child.stop();
    },
  };
}

/** A free local TCP port (the model server is told its ports rather than reporting them). */
export { freePort };

/** The `ready <port>` line a bench helper process (baselines, floors) prints once listening. */
export function readyPort(child: LaunchedProcess): number {
  const line = child.lines.find((entry) => entry.startsWith('ready '));
  return Number(line?.split(' ')[1]);
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
  const child = await launch({
    name: 'model server',
    entry: 'src/main.ts',
    nodeArgs: settings.nodeArgs,
    cwd: MODEL_SERVER_DIR,
    env: { VERDICT_CONFIG_FILE: configFile },
    stdout: 'ignore',
    stderr: 'inherit',
    ready: { probe: httpReady(`http://127.0.0.1:${opsPort}/readyz`), timeoutMs: START_TIMEOUT_MS },
  });
  return measured(child, `127.0.0.1:${grpcPort}`);
}

/** Starts the echo or naive baseline server and waits for its `ready <port>` line. */
export async function startBaseline(settings: BaselineSettings): Promise<MeasuredProcess> {
  const child = await launch({
    name: settings.mode,
    entry: join(__dirname, 'model-server-baselines.ts'),
    args: [JSON.stringify(settings)],
    cwd: join(REPO_ROOT, 'bench'),
    stderr: 'inherit',
    ready: { line: (line) => line.startsWith('ready '), timeoutMs: START_TIMEOUT_MS },
  });
  return measured(child, `127.0.0.1:${readyPort(child)}`);
}

/** The load generator process: one command at a time. */
export interface LoadGenerator {
  run(command: LoadCommand): Promise<LoadResult>;
  stop(): Promise<void>;
}

/**
 * A bench helper in its own process that answers one JSON line on stdout per JSON line on
 * stdin (the load generators); `end()` closes its stdin, which ends it.
 */
export function startLineProtocol(entry: string): {
  send<T>(command: object): Promise<T>;
  end(): Promise<void>;
} {
  const child = spawnLineChild(entry);
  const waiting: Array<(line: string) => void> = [];
  child.onLine((line) => waiting.shift()?.(line));
  return {
    send: <T>(command: object) =>
      new Promise<T>((done, fail) => {
        waiting.push((line) => {
          const result = JSON.parse(line) as T | { error: string };
          if (typeof result === 'object' && result !== null && 'error' in result)
            fail(new Error(`load generator: ${result.error}`));
          else done(result);
        });
        child.child.stdin!.write(`${JSON.stringify(command)}\n`);
      }),
    async end() {
      child.child.stdin!.end();
      await child.exited;
    },
  };
}

function spawnLineChild(entry: string): LaunchedProcess {
  return spawnProcess({
    name: entry,
    entry,
    cwd: join(REPO_ROOT, 'bench'),
    stdin: 'pipe',
    stderr: 'inherit',
  });
}

/** Starts the load generator (model-server-load.ts) in its own process. */
export function startLoadGenerator(): LoadGenerator {
  const child = startLineProtocol(join(__dirname, 'model-server-load.ts'));
  return {
    run: (command) => child.send<LoadResult>(command),
    stop: () => child.end(),
  };
}
