import { join } from 'node:path';
import { createRawClient } from '@verdict/grpc-kit';
import { Code } from '@verdict/errors';
import { experimentsV1, inference } from '@verdict/proto';
import {
  createRouterTestEnv,
  encodeRequest,
  mlpRequest,
  startModelServerProcess,
  startRouter,
  waitUntil,
  writeTableFile,
  type ModelServerProcess,
  type RouterTestEnv,
  type RouterUnderTest,
  type RoutingTableInit,
} from './testing/router-stack';

const AB = experimentsV1.ExperimentKind.AB;

function abTable(version: bigint, endpoint: string): RoutingTableInit {
  return {
    version,
    pools: [{ name: 'local', region: 'local', endpoints: [endpoint] }],
    models: [
      {
        model: 'mlp',
        defaultVariant: {
          name: 'stable',
          target: { case: 'version', value: 1n },
          pool: 'local',
          control: true,
        },
        experiments: [
          {
            experimentId: 'exp-ab',
            kind: AB,
            enabled: true,
            salt: 'salt-ab',
            variants: [
              {
                name: 'control',
                target: { case: 'version', value: 1n },
                pool: 'local',
                control: true,
                buckets: [{ start: 0, end: 5000 }],
              },
              {
                name: 'treatment',
                target: { case: 'version', value: 2n },
                pool: 'local',
                buckets: [{ start: 5000, end: 10000 }],
              },
            ],
          },
        ],
      },
    ],
  };
}

describe('router: A/B routing through real model servers over mTLS', () => {
  let env: RouterTestEnv;
  let server: ModelServerProcess;
  let router: RouterUnderTest;
  let tableFile: string;

  beforeAll(async () => {
    env = await createRouterTestEnv();
    server = await startModelServerProcess(env, 'ms-a');
    tableFile = join(env.dir, 'routes.json');
    await writeTableFile(tableFile, abTable(1n, server.address));
    router = await startRouter(env, { routing: { tableFile, tableFilePollMs: 50 } });
    await waitUntil(() => router.router.ready(), 20_000, 'router ready');
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await server?.stop();
    await env?.remove();
  });

  it('assigns each unit stickily, answers from the assigned version and names it in the trailers', async () => {
    const client = router.client();
    const seen = new Map<string, string>();
    for (let unit = 0; unit < 40; unit++) {
      for (let attempt = 0; attempt < 2; attempt++) {
        let trailers: Record<string, string> = {};
        const response = await client.modelInfer(mlpRequest(`r-${unit}-${attempt}`), {
          headers: { 'x-verdict-unit': `user-${unit}` },
          onTrailer: (t) => (trailers = t),
        });
        const variant = trailers['x-verdict-variant'];
        expect(trailers['x-verdict-experiment']).toBe('exp-ab');
        expect(trailers['x-verdict-table-version']).toBe('1');
        expect(response.modelVersion).toBe(variant === 'control' ? '1' : '2');
        expect(response.id).toBe(`r-${unit}-${attempt}`);
        if (seen.has(`user-${unit}`)) expect(seen.get(`user-${unit}`)).toBe(variant);
        seen.set(`user-${unit}`, variant);
      }
    }
    expect(new Set(seen.values())).toEqual(new Set(['control', 'treatment']));
  });

  it('is live but not ready, and answers UNAVAILABLE, before it has a routing table', async () => {
    const empty = await startRouter(env, {});
    try {
      const client = empty.client();
      expect((await client.serverLive({})).live).toBe(true);
      expect((await client.serverReady({})).ready).toBe(false);
      await expect(client.modelInfer(mlpRequest('too-early'))).rejects.toMatchObject({
        code: Code.UNAVAILABLE,
        details: 'the router has no routing table yet',
      });
    } finally {
      await empty.stop();
    }
  });

  it('answers ServerLive and ServerReady for itself', async () => {
    const client = router.client();
    expect((await client.serverLive({})).live).toBe(true);
    expect((await client.serverReady({})).ready).toBe(true);
  });

  it('sends ModelMetadata and ModelReady to the default variant', async () => {
    const client = router.client();
    let trailers: Record<string, string> = {};
    const metadata = await client.modelMetadata(
      { name: 'mlp' },
      { onTrailer: (t) => (trailers = t) },
    );
    expect(metadata.name).toBe('mlp');
    expect(trailers['x-verdict-variant']).toBe('stable');
    expect((await client.modelReady({ name: 'mlp' })).ready).toBe(true);
  });

  it('refuses a request without model_name with INVALID_ARGUMENT naming the field', async () => {
    const client = router.client();
    await expect(client.modelInfer(mlpRequest('x', { modelName: '' }))).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
      details: 'model_name: expected the name of a model, got an empty string',
    });
  });

  it('refuses bytes that are not a ModelInferRequest with INVALID_ARGUMENT', async () => {
    const raw = createRawClient(inference.GRPCInferenceService, {
      address: router.address,
      transport: env.transport('developer'),
    });
    try {
      await expect(
        raw.modelInfer(Buffer.from('this is not a protobuf message')),
      ).rejects.toMatchObject({
        code: Code.INVALID_ARGUMENT,
        details: expect.stringMatching(/^request: expected an encoded inference message/),
      });
      // A well-formed request still works on the same channel.
      const ok = await raw.modelInfer(encodeRequest(mlpRequest('after-garbage')));
      expect(ok.length).toBeGreaterThan(0);
    } finally {
      raw.close();
    }
  });

  it('answers NOT_FOUND naming model_name for a model without a route', async () => {
    await expect(
      router.client().modelInfer(mlpRequest('x', { modelName: 'nope' })),
    ).rejects.toMatchObject({
      code: Code.NOT_FOUND,
      details: expect.stringContaining("model_name 'nope' not found"),
    });
  });

  it('keeps the table in force when a bad file replaces it, and applies the next good one', async () => {
    await writeTableFile(tableFile, { ...abTable(2n, server.address), pools: [] });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(router.holder.current?.table.version).toBe(1n);
    await router.client().modelInfer(mlpRequest('still-routed'));
    await writeTableFile(tableFile, abTable(3n, server.address));
    await waitUntil(() => router.holder.current?.table.version === 3n, 10_000, 'table 3');
    // A valid file with an older version is ignored: tables only move forward.
    await writeTableFile(tableFile, abTable(2n, server.address));
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(router.holder.current?.table.version).toBe(3n);
    const text = await router.metrics();
    expect(text).toMatch(/verdict_router_table_version\{[^}]*\} 3/);
    expect(text).toMatch(
      /verdict_router_requests_total\{[^}]*model="mlp",experiment="exp-ab",variant="treatment",code="OK"[^}]*\} \d+/,
    );
    expect(text).toMatch(/verdict_router_endpoint_healthy\{[^}]*pool="local"[^}]*\} 1/);
  });
});
