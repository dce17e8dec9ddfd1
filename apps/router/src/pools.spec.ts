import { join } from 'node:path';
import { createClient } from '@verdict/grpc-kit';
import { Code } from '@verdict/errors';
import { experimentsV1, inference } from '@verdict/proto';
import { startFakeAnalyzer, type FakeAnalyzer } from './testing/fake-upstreams';
import {
  createRouterTestEnv,
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

/** Successful inferences of mlp (any version) a model server has counted. */
async function inferencesOf(env: RouterTestEnv, address: string): Promise<number> {
  const client = createClient(inference.GRPCInferenceService, {
    address,
    transport: env.transport('developer'),
  });
  try {
    const statistics = await client.modelStatistics({ name: 'mlp' });
    return statistics.modelStats.reduce(
      (sum, stats) => sum + Number(stats.inferenceStats?.success?.count ?? 0n),
      0,
    );
  } finally {
    client.close();
  }
}

describe('router pools: residency, endpoint failover, failover to control', () => {
  let env: RouterTestEnv;
  let a: ModelServerProcess;
  let b: ModelServerProcess;
  let deadAddress: string;
  let analyzer: FakeAnalyzer;
  let router: RouterUnderTest;
  let tableFile: string;

  const stable = (pool: string) => ({
    name: 'stable',
    target: { case: 'version' as const, value: 1n },
    pool,
    control: true,
  });

  beforeAll(async () => {
    env = await createRouterTestEnv();
    [a, b] = await Promise.all([
      startModelServerProcess(env, 'ms-a'),
      startModelServerProcess(env, 'ms-b'),
    ]);
    deadAddress = `127.0.0.1:${await env.freePort()}`;
    analyzer = await startFakeAnalyzer(env);
    tableFile = join(env.dir, 'routes.json');
    await writeTableFile(tableFile, {
      version: 1n,
      pools: [
        { name: 'us', region: 'us', endpoints: [a.address] },
        { name: 'eu', region: 'eu', endpoints: [deadAddress] },
      ],
      models: [{ model: 'mlp', defaultVariant: stable('us') }],
    });
    router = await startRouter(env, {
      routing: { tableFile, tableFilePollMs: 50, analyzerAddress: analyzer.address },
      upstream: { healthRetryMs: 100, ejectionMs: 200 },
      events: { lingerMs: 10 },
    });
    await waitUntil(() => router.router.ready(), 20_000, 'router ready');
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await analyzer?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.remove();
  });

  it('fails FAILED_PRECONDITION naming the region when no pool of it is healthy, calling no other pool', async () => {
    const client = router.client();
    const before = await inferencesOf(env, a.address);
    for (let i = 0; i < 5; i++) {
      await expect(
        client.modelInfer(mlpRequest(`eu-${i}`), { headers: { 'x-verdict-residency': 'eu' } }),
      ).rejects.toMatchObject({
        code: Code.FAILED_PRECONDITION,
        details: expect.stringContaining("no healthy pool in region 'eu'"),
      });
    }
    expect(await inferencesOf(env, a.address)).toBe(before);
    const us = await client.modelInfer(mlpRequest('us-1'), {
      headers: { 'x-verdict-residency': 'us' },
    });
    expect(us.modelVersion).toBe('1');
    expect(await inferencesOf(env, a.address)).toBe(before + 1);
  });

  it('sends a request tagged with a region to a healthy pool of that region, not to the variant pool elsewhere', async () => {
    await writeTableFile(tableFile, {
      version: 2n,
      pools: [
        { name: 'us', region: 'us', endpoints: [a.address] },
        { name: 'eu', region: 'eu', endpoints: [b.address] },
      ],
      models: [{ model: 'mlp', defaultVariant: stable('us') }],
    });
    await waitUntil(
      () =>
        router.holder.current?.table.version === 2n &&
        router.holder.current.pools.get('eu')!.healthy(),
      20_000,
      'eu pool healthy',
    );
    const [beforeA, beforeB] = [
      await inferencesOf(env, a.address),
      await inferencesOf(env, b.address),
    ];
    const client = router.client();
    for (let i = 0; i < 4; i++) {
      await client.modelInfer(mlpRequest(`eu-ok-${i}`), {
        headers: { 'x-verdict-residency': 'eu' },
      });
    }
    expect(await inferencesOf(env, a.address)).toBe(beforeA);
    expect(await inferencesOf(env, b.address)).toBe(beforeB + 4);
  });

  it('loses no request when one of two endpoints is killed under load, and uses it again once it is back', async () => {
    await writeTableFile(tableFile, {
      version: 3n,
      pools: [{ name: 'local', region: 'local', endpoints: [a.address, b.address] }],
      models: [{ model: 'mlp', defaultVariant: stable('local') }],
    });
    await waitUntil(() => router.holder.current?.table.version === 3n, 10_000, 'table 3');
    const client = router.client();
    let running = true;
    let ok = 0;
    const failures: unknown[] = [];
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        try {
          await client.modelInfer(mlpRequest(`load-${w}-${i}`), { timeoutMs: 10_000 });
          ok++;
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await waitUntil(() => ok >= 200, 30_000, '200 answers before the kill');
    await b.kill();
    const afterKill = ok;
    await waitUntil(() => ok >= afterKill + 300, 30_000, '300 answers after the kill');
    running = false;
    await Promise.all(workers);
    expect(failures).toEqual([]);
    // The calls in flight to the killed server were not lost: they were sent again to the other.
    const retried = /verdict_router_retries_total\{[^}]*pool="local"[^}]*\} (\d+)/.exec(
      await router.metrics(),
    );
    expect(Number(retried?.[1] ?? 0)).toBeGreaterThan(0);

    b = await startModelServerProcess(env, 'ms-b', b.port);
    const pool = () => router.holder.current!.pools.get('local')!;
    await waitUntil(
      () => pool().endpoints.every((endpoint) => endpoint.available(Date.now())),
      20_000,
      'restarted endpoint back in the pool',
    );
    const before = await inferencesOf(env, b.address);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => client.modelInfer(mlpRequest(`back-${i}`))),
    );
    expect(await inferencesOf(env, b.address)).toBeGreaterThan(before);
  });

  it('answers from control when the treatment fails, counting the failure against the treatment', async () => {
    const table: RoutingTableInit = {
      version: 4n,
      pools: [
        { name: 'local', region: 'local', endpoints: [a.address] },
        { name: 'broken', region: 'local', endpoints: [deadAddress] },
      ],
      models: [
        {
          model: 'mlp',
          defaultVariant: stable('local'),
          experiments: [
            {
              experimentId: 'exp-failover',
              kind: AB,
              enabled: true,
              salt: 'salt-failover',
              failoverToControl: true,
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
                  pool: 'broken',
                  buckets: [{ start: 5000, end: 10000 }],
                },
              ],
            },
          ],
        },
      ],
    };
    await writeTableFile(tableFile, table);
    await waitUntil(() => router.holder.current?.table.version === 4n, 10_000, 'table 4');
    const client = router.client();
    const variants: string[] = [];
    for (let unit = 0; unit < 30; unit++) {
      let trailers: Record<string, string> = {};
      const response = await client.modelInfer(mlpRequest(`fo-${unit}`), {
        headers: { 'x-verdict-unit': `user-${unit}` },
        onTrailer: (t) => (trailers = t),
      });
      expect(response.modelVersion).toBe('1');
      expect(trailers['x-verdict-variant']).toBe('control');
      variants.push(trailers['x-verdict-variant']);
    }
    await waitUntil(
      () => analyzer.exposures.filter((e) => e.requestId.startsWith('fo-')).length === 30,
      10_000,
      'exposures',
    );
    const exposures = analyzer.exposures.filter((e) => e.requestId.startsWith('fo-'));
    const treated = exposures.filter((e) => e.variant === 'treatment');
    expect(treated.length).toBeGreaterThan(0);
    for (const exposure of treated) expect(exposure.statusCode).toBe(Code.UNAVAILABLE);
    for (const exposure of exposures.filter((e) => e.variant === 'control')) {
      expect(exposure.statusCode).toBe(0);
    }
    const metrics = await router.metrics();
    const failovers =
      /verdict_router_failovers_total\{[^}]*experiment="exp-failover",from="treatment",to="control"[^}]*\} (\d+)/.exec(
        metrics,
      );
    expect(Number(failovers?.[1])).toBe(treated.length);
  });
});
