import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClient,
  runService,
  type ClientTransportOptions,
  type RunningService,
  type TypedClient,
} from '@verdict/grpc-kit';
import { buildMlp, type MlpOptions } from '@verdict/model-zoo';
import { inference } from '@verdict/proto';
import { INFERENCE_PERMISSIONS, initDevPki, type DevPki } from '@verdict/security';
import { configSchema } from '../config';
import type { ModelManager } from '../repository/model-manager';
import { setupModelServer } from '../service';

const POLICY = `
roles:
  caller: [inference:invoke]
  admin: [inference:invoke, repository:admin]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
  - principals: ['spiffe://verdict.local/ns/default/sa/router']
    roles: [caller]
`;

/** The MLP every model-server test serves as `mlp` version 1. */
export const TEST_MLP: MlpOptions = { inputSize: 16, hiddenSizes: [32], outputSize: 4, seed: 11 };

/** A throw-away PKI, policy and model repository, and the real model server started on them. */
export interface ModelServerStack {
  readonly dir: string;
  readonly repository: string;
  readonly pki: DevPki;
  readonly service: RunningService;
  readonly manager: ModelManager;
  readonly address: string;
  /** Client transport of `tester` (may load and unload) or `router` (may only infer). */
  transport(who?: 'tester' | 'router'): ClientTransportOptions;
  client(who?: 'tester' | 'router'): TypedClient<(typeof inference.GRPCInferenceService)['method']>;
  /** Writes `<repository>/<name>/<version>/model.onnx` (and config.yaml when given). */
  writeModel(
    name: string,
    version: number,
    bytes: Uint8Array,
    configYaml?: string,
  ): Promise<string>;
  stop(): Promise<void>;
}

/** Starts the model server on a repository holding `mlp` version 1 plus what `prepare` writes. */
export async function startModelServerStack(
  prepare?: (write: ModelServerStack['writeModel']) => Promise<void>,
  models: Record<string, unknown> = {},
  settings: Record<string, unknown> = {},
): Promise<ModelServerStack> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-model-server-'));
  const repository = join(dir, 'models');
  const pki = await initDevPki({
    dir: join(dir, 'pki'),
    services: ['model-server', 'router', 'experiment-analyzer'],
    clientName: 'tester',
  });
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, POLICY);
  const writeModel: ModelServerStack['writeModel'] = async (name, version, bytes, configYaml) => {
    const versionDir = join(repository, name, String(version));
    await mkdir(versionDir, { recursive: true });
    const path = join(versionDir, 'model.onnx');
    await writeFile(`${path}.partial`, bytes);
    await rename(`${path}.partial`, path);
    if (configYaml !== undefined)
      await writeFile(join(repository, name, 'config.yaml'), configYaml);
    return path;
  };
  await writeModel(
    'mlp',
    1,
    buildMlp(TEST_MLP),
    'max_batch_size: 64\ndynamic_batching:\n  max_queue_delay_microseconds: 200\n',
  );
  await prepare?.(writeModel);
  let manager: ModelManager | undefined;
  const service = await runService({
    name: 'model-server',
    permissions: INFERENCE_PERMISSIONS,
    async setup(context) {
      const setup = await setupModelServer(context);
      manager = setup.manager;
      return setup;
    },
    config: configSchema.parse({
      grpc: { port: 0 },
      ops: { port: 0 },
      tls: {
        mode: 'mtls',
        caFile: pki.caCert,
        certFile: pki.services['model-server'].cert,
        keyFile: pki.services['model-server'].key,
      },
      policyFile,
      dataDir: join(dir, 'data'),
      log: { level: 'silent' },
      shutdownGraceMs: 1000,
      models: { repository, ...models },
      ...settings,
    }),
  });
  const address = `127.0.0.1:${service.grpcPort}`;
  const transport = (who: 'tester' | 'router' = 'tester'): ClientTransportOptions => {
    const paths = who === 'tester' ? pki.client : pki.services.router;
    return { mode: 'mtls', caFile: pki.caCert, certFile: paths.cert, keyFile: paths.key };
  };
  return {
    dir,
    repository,
    pki,
    service,
    manager: manager!,
    address,
    transport,
    client: (who) =>
      createClient(inference.GRPCInferenceService, { address, transport: transport(who) }),
    writeModel,
    async stop() {
      await service.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
