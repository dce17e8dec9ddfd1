import type { ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { create, toBinary, toJsonString, type MessageInitShape } from '@bufbuild/protobuf';
import {
  createClient,
  runService,
  type ClientTransportOptions,
  type RunningService,
  type TypedClient,
} from '@verdict/grpc-kit';
import { buildMlp, type MlpOptions } from '@verdict/model-zoo';
import { freePort, launch } from '@verdict/process';
import { experimentsV1, health, inference } from '@verdict/proto';
import { devPolicyYaml, INFERENCE_PERMISSIONS, initDevPki, type DevPki } from '@verdict/security';
import { configSchema } from '../config';
import type { InferenceRouter } from '../routing/inference-router';
import { setupRouter } from '../service';
import type { RouterStateHolder } from '../table/router-state';

const APP_ROOT = join(__dirname, '..', '..');
const MODEL_SERVER_MAIN = join(APP_ROOT, '..', 'model-server', 'src', 'main.ts');
const ROUTER_MAIN = join(APP_ROOT, 'src', 'main.ts');

/** The two MLPs every router test serves as `mlp` versions 1 and 2 (same shapes, other weights). */
export const TEST_MLPS: Record<1 | 2, MlpOptions> = {
  1: { inputSize: 16, hiddenSizes: [32], outputSize: 4, seed: 11 },
  2: { inputSize: 16, hiddenSizes: [32], outputSize: 4, seed: 12 },
};

export type InferenceClient = TypedClient<(typeof inference.GRPCInferenceService)['method']>;
export type RoutingTableInit = MessageInitShape<typeof experimentsV1.RoutingTableSchema>;

/** PKI, dev policy and a model repository shared by the processes of one test file. */
export interface RouterTestEnv {
  readonly dir: string;
  readonly pki: DevPki;
  readonly policyFile: string;
  readonly repository: string;
  /** mTLS files of a service (`router`, `model-server`, `experiment-analyzer`...) or of the developer client. */
  transport(who: string): ClientTransportOptions & { mode: 'mtls' };
  /** A free TCP port on 127.0.0.1. */
  freePort(): Promise<number>;
  remove(): Promise<void>;
}

export async function createRouterTestEnv(): Promise<RouterTestEnv> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-router-'));
  const pki = await initDevPki({ dir: join(dir, 'pki') });
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, devPolicyYaml({ trustDomain: pki.trustDomain }));
  const repository = join(dir, 'models');
  const config = 'max_batch_size: 64\ndynamic_batching: {}\nversion_policy:\n  all: {}\n';
  for (const version of [1, 2] as const) {
    const versionDir = join(repository, 'mlp', String(version));
    await mkdir(versionDir, { recursive: true });
    await writeFile(join(versionDir, 'model.onnx'), buildMlp(TEST_MLPS[version]));
  }
  await writeFile(join(repository, 'mlp', 'config.yaml'), config);
  return {
    dir,
    pki,
    policyFile,
    repository,
    transport(who) {
      const paths = who === 'developer' ? pki.client : pki.services[who];
      return { mode: 'mtls', caFile: pki.caCert, certFile: paths.cert, keyFile: paths.key };
    },
    freePort,
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}

/** A real model server in its own process (`node --import tsx apps/model-server/src/main.ts`). */
export interface ModelServerProcess {
  readonly address: string;
  readonly port: number;
  readonly process: ChildProcess;
  /** Kills it at once (SIGKILL): in-flight calls break. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

/** Starts a model server on `port` (a free one when omitted) and waits until it serves. */
export async function startModelServerProcess(
  env: RouterTestEnv,
  name: string,
  port?: number,
  extraEnv: Record<string, string> = {},
): Promise<ModelServerProcess> {
  const grpcPort = port ?? (await env.freePort());
  const paths = env.pki.services['model-server'];
  const address = `127.0.0.1:${grpcPort}`;
  const serving = servingProbe(env, address);
  const launched = await launch({
    name: `model server ${name}`,
    entry: MODEL_SERVER_MAIN,
    cwd: APP_ROOT,
    // The IPC channel makes the child drain and exit if this process dies (kit shutdown handlers).
    ipc: true,
    stdout: 'ignore',
    stderr: 'inherit',
    env: {
      VERDICT_GRPC_PORT: String(grpcPort),
      VERDICT_OPS_PORT: '0',
      VERDICT_TLS_CA_FILE: env.pki.caCert,
      VERDICT_TLS_CERT_FILE: paths.cert,
      VERDICT_TLS_KEY_FILE: paths.key,
      VERDICT_POLICY_FILE: env.policyFile,
      VERDICT_DATA_DIR: join(env.dir, 'data', name),
      VERDICT_MODELS_REPOSITORY: env.repository,
      VERDICT_LOG_LEVEL: 'warn',
      VERDICT_SHUTDOWN_GRACE_MS: '1000',
      ...extraEnv,
    },
    ready: { probe: serving.ready, timeoutMs: 60_000 },
  }).finally(serving.close);
  return {
    address,
    port: grpcPort,
    process: launched.child,
    async kill() {
      await launched.kill();
    },
    async stop() {
      await launched.stop();
    },
  };
}

/** Ready once grpc.health.v1 says SERVING and mlp versions 1 and 2 are ready. */
function servingProbe(
  env: RouterTestEnv,
  address: string,
): { ready: () => Promise<boolean>; close: () => void } {
  const client = createClient(health.Health, { address, transport: env.transport('router') });
  const infer = createClient(inference.GRPCInferenceService, {
    address,
    transport: env.transport('router'),
  });
  return {
    async ready() {
      const { status } = await client.check({ service: '' }, { timeoutMs: 1000 });
      const ready = await Promise.all(
        ['1', '2'].map((version) =>
          infer.modelReady({ name: 'mlp', version }, { timeoutMs: 1000 }),
        ),
      );
      return (
        status === health.HealthCheckResponse_ServingStatus.SERVING && ready.every((r) => r.ready)
      );
    },
    close() {
      client.close();
      infer.close();
    },
  };
}

/** The router under test, in this process (so tests can see its table), with real mTLS. */
export interface RouterUnderTest {
  readonly service: RunningService;
  readonly address: string;
  readonly router: InferenceRouter;
  readonly holder: RouterStateHolder;
  /** A stock client of the router with the developer's certificate. */
  client(): InferenceClient;
  /** The router's /metrics text. */
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

export async function startRouter(
  env: RouterTestEnv,
  settings: Record<string, unknown>,
): Promise<RouterUnderTest> {
  const paths = env.pki.services.router;
  let router: InferenceRouter | undefined;
  let holder: RouterStateHolder | undefined;
  const dataDir = join(env.dir, 'data', `router-${Math.random().toString(36).slice(2)}`);
  const service = await runService({
    name: 'router',
    permissions: INFERENCE_PERMISSIONS,
    config: configSchema.parse({
      grpc: { port: 0 },
      ops: { port: 0 },
      tls: { mode: 'mtls', caFile: env.pki.caCert, certFile: paths.cert, keyFile: paths.key },
      policyFile: env.policyFile,
      dataDir,
      log: { level: 'silent' },
      shutdownGraceMs: 1000,
      ...settings,
    }),
    async setup(context) {
      const setup = await setupRouter(context);
      router = setup.router;
      holder = setup.holder;
      return setup;
    },
  });
  const address = `127.0.0.1:${service.grpcPort}`;
  const clients: InferenceClient[] = [];
  return {
    service,
    address,
    router: router!,
    holder: holder!,
    client() {
      const client = createClient(inference.GRPCInferenceService, {
        address,
        transport: env.transport('developer'),
      });
      clients.push(client);
      return client;
    },
    async metrics() {
      const response = await fetch(`http://127.0.0.1:${service.opsPort}/metrics`);
      return response.text();
    },
    async stop() {
      for (const client of clients) client.close();
      await service.stop();
    },
  };
}

/** Writes a routing table file atomically (JSON, proto3 form). */
export async function writeTableFile(path: string, table: RoutingTableInit): Promise<void> {
  const json = toJsonString(
    experimentsV1.RoutingTableSchema,
    create(experimentsV1.RoutingTableSchema, table),
  );
  await writeFile(`${path}.tmp`, json);
  await rename(`${path}.tmp`, path);
}

/** A ModelInferRequest for the test MLPs: one row of 16 floats. */
export function mlpRequest(
  id: string,
  init: { modelName?: string; modelVersion?: string; parameters?: Record<string, string> } = {},
): MessageInitShape<typeof inference.ModelInferRequestSchema> {
  const values = new Float32Array(16).map((_, i) => Math.sin(i + id.length));
  const { parameters, ...names } = init;
  return {
    modelName: 'mlp',
    id,
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, 16n] }],
    rawInputContents: [new Uint8Array(values.buffer)],
    parameters: Object.fromEntries(
      Object.entries(parameters ?? {}).map(([name, value]) => [
        name,
        { parameterChoice: { case: 'stringParam' as const, value } },
      ]),
    ),
    ...names,
  };
}

/** The encoded form of a message, for raw-bytes tests. */
export function encodeRequest(
  init: MessageInitShape<typeof inference.ModelInferRequestSchema>,
): Buffer {
  return Buffer.from(
    toBinary(inference.ModelInferRequestSchema, create(inference.ModelInferRequestSchema, init)),
  );
}

/** Until `predicate` holds (polling), or throws after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await delay(50);
  }
}

/** The router in its own process (`node --import tsx apps/router/src/main.ts`). */
export interface RouterProcess {
  readonly address: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Starts the router as a child process with `VERDICT_*` settings and waits until it is ready. */
export async function startRouterProcess(
  env: RouterTestEnv,
  settings: Record<string, string>,
  nodeArgs: string[] = [],
): Promise<RouterProcess> {
  const port = await env.freePort();
  const paths = env.pki.services.router;
  const address = `127.0.0.1:${port}`;
  const client = createClient(inference.GRPCInferenceService, {
    address,
    transport: env.transport('developer'),
  });
  const launched = await launch({
    name: 'router',
    entry: ROUTER_MAIN,
    nodeArgs,
    cwd: APP_ROOT,
    // The IPC channel makes the child drain and exit if this process dies (kit shutdown handlers).
    ipc: true,
    stdout: 'ignore',
    stderr: 'inherit',
    env: {
      VERDICT_GRPC_PORT: String(port),
      VERDICT_OPS_PORT: '0',
      VERDICT_TLS_CA_FILE: env.pki.caCert,
      VERDICT_TLS_CERT_FILE: paths.cert,
      VERDICT_TLS_KEY_FILE: paths.key,
      VERDICT_POLICY_FILE: env.policyFile,
      VERDICT_DATA_DIR: join(env.dir, 'data', `router-${port}`),
      VERDICT_LOG_LEVEL: 'warn',
      VERDICT_SHUTDOWN_GRACE_MS: '1000',
      ...settings,
    },
    ready: {
      probe: async () => (await client.serverReady({}, { timeoutMs: 1000 })).ready,
      timeoutMs: 60_000,
    },
  }).finally(() => client.close());
  return {
    address,
    pid: launched.pid,
    async stop() {
      await launched.stop();
    },
  };
}
