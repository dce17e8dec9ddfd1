import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import {
  createClient,
  type ClientTransportOptions,
  type GenService,
  type GenServiceMethods,
  type TypedClient,
} from '@verdict/grpc-kit';
import { childPids, freePort, launch, processExists, type LaunchedProcess } from '@verdict/process';

/** The five services, as `verdict dev` names them. */
export const SERVICE_NAMES = [
  'router',
  'model-server',
  'registry',
  'experiment-analyzer',
  'audit',
] as const;
export type ServiceName = (typeof SERVICE_NAMES)[number];

/** A whole Verdict stack started by `verdict dev` as real processes, on free ports, with a fresh PKI and data directory. */
export interface Stack {
  readonly dir: string;
  readonly pkiDir: string;
  /** The `verdict dev` process, leader of its own process group. */
  readonly cli: LaunchedProcess;
  /** Process ids of the five services `verdict dev` started. */
  readonly servicePids: readonly number[];
  /** gRPC `host:port` of each service. */
  readonly grpc: Readonly<Record<ServiceName, string>>;
  /** Base URL of each service's HTTP ops endpoint (/metrics, /healthz, /readyz). */
  readonly ops: Readonly<Record<ServiceName, string>>;
  /** Every line the stack printed so far. */
  readonly output: readonly string[];
  /** mTLS client transport with a certificate of this PKI: the local user's, or a service's. */
  transport(identity?: 'developer' | ServiceName): ClientTransportOptions;
  /** A kit client of `definition` on `service`, as the local user (or the identity given). */
  client<S extends GenServiceMethods>(
    service: ServiceName,
    definition: GenService<S>,
    identity?: 'developer' | ServiceName,
  ): TypedClient<S>;
  /**
   * SIGINT to the whole process group of `verdict dev` (what Ctrl-C in its terminal sends),
   * then waits for it to exit; returns its exit code. Throws when a service outlived it.
   */
  stop(): Promise<number | null>;
}

/** The built entry point of an app (e2e runs the real, compiled services; Nx builds them first). */
export function appEntry(app: string): string {
  return join(__dirname, '..', '..', '..', 'apps', app, 'dist', 'main.js');
}

const CLI_ENTRY = appEntry('cli');
const READY_LINE = /^verdict dev: all 5 services ready/;

// Free ports are picked before services bind them, not reserved: two stacks starting at once
// can pick each other's ports, so the e2e suites run one at a time (`maxWorkers: 1` in
// package.json; a CI run failed with EADDRINUSE when they ran two at once).
export { freePort };

/**
 * The processes of `pids` still alive a while after their parent exited (services drain first,
 * so it waits up to `graceMs`); survivors are SIGKILLed so no test leaves orphans.
 */
export async function survivingProcesses(
  pids: readonly number[],
  graceMs = 20_000,
): Promise<number[]> {
  const alive = () => pids.filter(processExists);
  for (const deadline = Date.now() + graceMs; alive().length > 0 && Date.now() < deadline;) {
    await delay(100);
  }
  const survivors = alive();
  for (const pid of survivors) process.kill(pid, 'SIGKILL');
  return survivors;
}

/** Starts `verdict dev` and resolves once it reports every service ready (readiness probed by the CLI). */
export async function startStack(
  options: {
    readyTimeoutMs?: number;
    /** Extra environment for `verdict dev` and so every service (e.g. OTEL_EXPORTER_OTLP_ENDPOINT). */
    env?: Record<string, string>;
  } = {},
): Promise<Stack> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-e2e-'));
  const ports: Record<string, { grpc: number; ops: number }> = {};
  for (const name of SERVICE_NAMES) ports[name] = { grpc: await freePort(), ops: await freePort() };
  const output: string[] = [];
  const cli = await launch({
    name: 'verdict dev',
    entry: CLI_ENTRY,
    args: [
      'dev',
      '--dir',
      dir,
      '--ports',
      SERVICE_NAMES.map((n) => `${n}=${ports[n].grpc}:${ports[n].ops}`).join(','),
    ],
    // Its own process group, as a shell gives a foreground job: stop() signals the whole
    // group, as Ctrl-C in a terminal does.
    detached: true,
    env: options.env,
    onLine: (line) => output.push(line),
    keepLines: 400,
    ready: { line: (line) => READY_LINE.test(line), timeoutMs: options.readyTimeoutMs ?? 180_000 },
  });
  const servicePids = childPids(cli.pid);
  const pkiDir = join(dir, 'pki');
  const record = <T>(value: (name: ServiceName) => T) =>
    Object.fromEntries(SERVICE_NAMES.map((name) => [name, value(name)])) as Record<ServiceName, T>;
  const transport = (
    identity: 'developer' | ServiceName = 'developer',
  ): ClientTransportOptions => ({
    mode: 'mtls',
    caFile: join(pkiDir, 'ca.pem'),
    certFile: join(pkiDir, `${identity}.pem`),
    keyFile: join(pkiDir, `${identity}.key`),
  });
  const grpc = record((name) => `127.0.0.1:${ports[name].grpc}`);
  return {
    dir,
    pkiDir,
    cli,
    servicePids,
    output,
    grpc,
    ops: record((name) => `http://127.0.0.1:${ports[name].ops}`),
    transport,
    client: (service, definition, identity) =>
      createClient(definition, { address: grpc[service], transport: transport(identity) }),
    async stop() {
      if (cli.running()) process.kill(-cli.pid, 'SIGINT');
      const exit = await cli.exited;
      const survivors = await survivingProcesses(servicePids);
      await rm(dir, { recursive: true, force: true });
      if (survivors.length > 0)
        throw new Error(
          `service processes ${survivors.join(', ')} outlived verdict dev (killed now)`,
        );
      return exit.code;
    },
  };
}
