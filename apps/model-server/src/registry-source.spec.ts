import { createHash } from 'node:crypto';
import { mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createClient,
  runService,
  type ClientTransportOptions,
  type RunningService,
} from '@verdict/grpc-kit';
import { buildMlp, type MlpOptions } from '@verdict/model-zoo';
import { inference, registryV1 } from '@verdict/proto';
import {
  INFERENCE_PERMISSIONS,
  REGISTRY_PERMISSIONS,
  initDevPki,
  type DevPki,
} from '@verdict/security';
// The real registry, started in-process: the model server is tested against what it will call.
import { readConfig as readRegistryConfig } from '../../registry/src/config';
import { setupRegistry } from '../../registry/src/service';
import { configSchema, readConfig } from './config';
import { REGISTRY_CACHE_DIR, setupModelServer } from './service';
import type { ModelManager } from './repository/model-manager';
import { parseRegistryRefs } from './repository/registry-source';

const REGISTRY_POLICY = `
roles:
  admin: ['*']
  reader: [model:read]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
  - principals: ['spiffe://verdict.local/ns/default/sa/model-server']
    roles: [reader]
`;

const SERVER_POLICY = `
roles:
  admin: [inference:invoke, repository:admin]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

const FEATURES = 8;
const mlp = (seed: number): MlpOptions => ({
  inputSize: FEATURES,
  hiddenSizes: [16],
  outputSize: 2,
  seed,
});

/** Polls until `check` holds; the suite's timeout bounds it. */
async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 25));
}

async function flipByte(path: string, position: number): Promise<void> {
  const handle = await open(path, 'r+');
  const byte = Buffer.alloc(1);
  await handle.read(byte, 0, 1, position);
  byte[0] ^= 0xff;
  await handle.write(byte, 0, 1, position);
  await handle.close();
}

describe('parseRegistryRefs', () => {
  it('reads aliases and versions, and names a wrong entry', () => {
    expect(parseRegistryRefs(' spam@production, fraud:3 ,')).toEqual([
      { model: 'spam', alias: 'production' },
      { model: 'fraud', version: 3 },
    ]);
    expect(
      readConfig({
        VERDICT_TLS_MODE: 'mesh',
        VERDICT_MODELS_REGISTRY_ADDRESS: 'registry:50053',
        VERDICT_MODELS_REGISTRY_MODELS: 'spam@production',
      }).models.registry,
    ).toEqual({ address: 'registry:50053', models: 'spam@production', retryDelayMs: 1000 });
    expect(() => parseRegistryRefs('spam:0')).toThrow(/name@alias or name:version.*spam:0/s);
  });
});

describe('models from the registry', () => {
  let dir: string;
  let pki: DevPki;
  let registry: RunningService;
  let registryClient: ReturnType<typeof createClient<typeof registryV1.RegistryService.method>>;
  const servers: RunningService[] = [];
  const sha256s: string[] = [];

  const tester = (): ClientTransportOptions => ({
    mode: 'mtls',
    caFile: pki.caCert,
    certFile: pki.client.cert,
    keyFile: pki.client.key,
  });

  async function push(bytes: Uint8Array): Promise<string> {
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    const requests = [
      {
        content: {
          case: 'header',
          value: { model: 'spam', sha256, sizeBytes: BigInt(bytes.length) },
        },
      },
      { content: { case: 'chunk', value: bytes } },
    ];
    await registryClient.uploadVersion(requests as Iterable<never>);
    return sha256;
  }

  async function startServer(models: string, dataDir: string) {
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
        policyFile: join(dir, 'server-policy.yaml'),
        dataDir,
        log: { level: 'silent' },
        shutdownGraceMs: 1000,
        models: {
          repository: join(dir, 'empty-repository'),
          registry: { address: `127.0.0.1:${registry.grpcPort}`, models, retryDelayMs: 50 },
        },
      }),
    });
    servers.push(service);
    const client = createClient(inference.GRPCInferenceService, {
      address: `127.0.0.1:${service.grpcPort}`,
      transport: tester(),
    });
    return { service, manager: manager!, client };
  }

  const infer = (client: Awaited<ReturnType<typeof startServer>>['client']) =>
    client.modelInfer({
      modelName: 'spam',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [1n, BigInt(FEATURES)] }],
      rawInputContents: [new Uint8Array(FEATURES * 4)],
    });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-model-server-registry-'));
    pki = await initDevPki({
      dir: join(dir, 'pki'),
      services: ['model-server', 'registry'],
      clientName: 'tester',
    });
    await writeFile(join(dir, 'registry-policy.yaml'), REGISTRY_POLICY);
    await writeFile(join(dir, 'server-policy.yaml'), SERVER_POLICY);
    registry = await runService({
      name: 'registry',
      config: readRegistryConfig({
        VERDICT_GRPC_PORT: '0',
        VERDICT_OPS_PORT: '0',
        VERDICT_TLS_CA_FILE: pki.caCert,
        VERDICT_TLS_CERT_FILE: pki.services.registry.cert,
        VERDICT_TLS_KEY_FILE: pki.services.registry.key,
        VERDICT_DATA_DIR: join(dir, 'registry'),
        VERDICT_POLICY_FILE: join(dir, 'registry-policy.yaml'),
        VERDICT_LOG_LEVEL: 'silent',
      }),
      permissions: REGISTRY_PERMISSIONS,
      setup: setupRegistry,
    });
    registryClient = createClient(registryV1.RegistryService, {
      address: `127.0.0.1:${registry.grpcPort}`,
      transport: tester(),
    });
    await registryClient.createModel({ name: 'spam', team: 'team-a' });
    for (const seed of [1, 2, 3]) sha256s.push(await push(buildMlp(mlp(seed))));
    await registryClient.setAlias({ model: 'spam', alias: 'production', version: 1n });
  }, 30_000);

  afterAll(async () => {
    for (const server of servers) await server.stop();
    registryClient?.close();
    await registry?.stop();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('serves the alias, swaps when it moves, and keeps serving when the new version is corrupt', async () => {
    const { client, manager } = await startServer('spam@production', join(dir, 'data-a'));
    expect((await client.modelReady({ name: 'spam' })).ready).toBe(true);
    expect(await infer(client)).toMatchObject({ modelName: 'spam', modelVersion: '1' });

    await registryClient.setAlias({ model: 'spam', alias: 'production', version: 2n });
    await eventually(() => manager.versions('spam')[0].version === 2);
    expect(manager.versions('spam').map((v) => v.version)).toEqual([2]);
    expect(await infer(client)).toMatchObject({ modelVersion: '2' });

    // One byte flipped in the registry's stored blob of version 3.
    const blob = join(dir, 'registry', 'blobs', sha256s[2].slice(0, 2), sha256s[2]);
    await flipByte(blob, 100);

    await registryClient.setAlias({ model: 'spam', alias: 'production', version: 3n });
    const reason = async () =>
      (await client.repositoryIndex({})).models.find((m) => m.name === 'spam')?.reason ?? '';
    await eventually(async () => (await reason()) !== '');
    expect(await reason()).toMatch(/spam:3.*DATA_LOSS/);
    expect(manager.versions('spam').map((v) => v.version)).toEqual([2]);
    expect(await infer(client)).toMatchObject({ modelVersion: '2' });
  }, 60_000);

  it('refuses to load a version whose stored bytes are corrupt, and stays up', async () => {
    const { client } = await startServer('spam:3', join(dir, 'data-b'));
    expect((await client.serverLive({})).live).toBe(true);
    expect((await client.modelReady({ name: 'spam' })).ready).toBe(false);
    const row = (await client.repositoryIndex({})).models.find((m) => m.name === 'spam');
    expect(row).toMatchObject({ state: 'UNAVAILABLE' });
    expect(row?.reason).toMatch(/registry version spam:3: DATA_LOSS/);
  }, 30_000);

  it('re-verifies a cached download and fetches it again when it is corrupt', async () => {
    const dataDir = join(dir, 'data-a');
    const cached = join(dataDir, REGISTRY_CACHE_DIR, 'spam', '1', 'model.onnx');
    await flipByte(cached, 10);
    const { client, manager } = await startServer('spam:1', dataDir);
    expect(await infer(client)).toMatchObject({ modelVersion: '1' });
    const digest = createHash('sha256')
      .update(await readFile(manager.versions('spam')[0].path))
      .digest('hex');
    expect(digest).toBe(sha256s[0]);
  }, 30_000);
});
