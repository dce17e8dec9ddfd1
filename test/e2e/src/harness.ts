import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  createClient,
  type ClientTransportOptions,
  type GenService,
  type GenServiceMethods,
  type TypedClient,
} from '@verdict/grpc-kit';
import { freePort } from '../../../libs/grpc-kit/src/testing/free-port';

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
  readonly cli: ChildProcess;
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
  /** SIGINT to `verdict dev` (what Ctrl-C sends), then waits for it to exit; returns its exit code. */
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
 * Whether any process of the group is still alive a while after its leader exited (services
 * drain first, so it waits up to `graceMs`); survivors are SIGKILLed so no test leaves orphans.
 */
export async function processGroupSurvives(groupId: number, graceMs = 20_000): Promise<boolean> {
  const alive = () => {
    try {
      process.kill(-groupId, 0);
      return true;
    } catch {
      return false;
    }
  };
  for (const deadline = Date.now() + graceMs; alive() && Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  if (!alive()) return false;
  process.kill(-groupId, 'SIGKILL');
  return true;
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
  const cli = spawn(
    process.execPath,
    [
      CLI_ENTRY,
      'dev',
      '--dir',
      dir,
      '--ports',
      SERVICE_NAMES.map((n) => `${n}=${ports[n].grpc}:${ports[n].ops}`).join(','),
    ],
    // Its own process group, so stop() can tell whether any service outlived it.
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true, env: { ...process.env, ...options.env } },
  );
  const output: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new Error(
            `stack not ready within ${options.readyTimeoutMs ?? 180_000} ms:\n${output.join('\n')}`,
          ),
        ),
      options.readyTimeoutMs ?? 180_000,
    );
    const onLine = (line: string) => {
      output.push(line);
      if (READY_LINE.test(line)) {
        clearTimeout(timer);
        resolve();
      }
    };
    createInterface({ input: cli.stdout! }).on('line', onLine);
    createInterface({ input: cli.stderr! }).on('line', onLine);
    cli.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(
          `verdict dev exited with ${code} before the stack was ready:\n${output.join('\n')}`,
        ),
      );
    });
  });
  await ready;
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
    output,
    grpc,
    ops: record((name) => `http://127.0.0.1:${ports[name].ops}`),
    transport,
    client: (service, definition, identity) =>
      createClient(definition, { address: grpc[service], transport: transport(identity) }),
    async stop() {
      if (cli.exitCode === null && cli.signalCode === null) {
        const exited = once(cli, 'exit');
        cli.kill('SIGINT');
        await exited;
      }
      const survivors = await processGroupSurvives(cli.pid!);
      await rm(dir, { recursive: true, force: true });
      if (survivors) throw new Error('service processes outlived verdict dev (killed now)');
      return cli.exitCode;
    },
  };
}
