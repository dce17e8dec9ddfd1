import { create } from '@bufbuild/protobuf';
import { createClient } from '@verdict/grpc-kit';
import { Code } from '@verdict/errors';
import { experimentsV1, inference } from '@verdict/proto';
import {
  startFakeAnalyzer,
  startShadowUpstream,
  type FakeAnalyzer,
  type ShadowUpstream,
} from './testing/fake-upstreams';
import {
  createRouterTestEnv,
  mlpRequest,
  startModelServerProcess,
  startRouter,
  waitUntil,
  type ModelServerProcess,
  type RouterTestEnv,
  type RouterUnderTest,
} from './testing/router-stack';

const SHADOW = experimentsV1.ExperimentKind.SHADOW;
const REQUESTS = 8;

function shadowTable(
  version: bigint,
  primary: string,
  shadowPools: Record<string, string>,
  shadowPool: string,
) {
  return create(experimentsV1.RoutingTableSchema, {
    version,
    pools: [
      { name: 'local', region: 'local', endpoints: [primary] },
      ...Object.entries(shadowPools).map(([name, address]) => ({
        name,
        region: 'local',
        endpoints: [address],
      })),
    ],
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
            experimentId: 'exp-shadow',
            kind: SHADOW,
            enabled: true,
            salt: 'salt-shadow',
            variants: [
              {
                name: 'primary',
                target: { case: 'version', value: 1n },
                pool: 'local',
                control: true,
                buckets: [{ start: 0, end: 10000 }],
              },
            ],
            shadow: {
              variant: {
                name: 'candidate',
                target: { case: 'version', value: 2n },
                pool: shadowPool,
              },
              sampleRate: 1,
            },
          },
        ],
      },
    ],
  });
}

describe('router: shadow copies never touch the primary answer', () => {
  let env: RouterTestEnv;
  let server: ModelServerProcess;
  let slow: ShadowUpstream;
  let failing: ShadowUpstream;
  let verySlow: ShadowUpstream;
  let analyzer: FakeAnalyzer;
  let router: RouterUnderTest;
  let pools: Record<string, string>;

  beforeAll(async () => {
    env = await createRouterTestEnv();
    server = await startModelServerProcess(env, 'ms-shadow');
    slow = await startShadowUpstream(env, { kind: 'sleep', ms: 500 });
    failing = await startShadowUpstream(env, { kind: 'fail' });
    verySlow = await startShadowUpstream(env, { kind: 'sleep', ms: 2000 });
    pools = { slow: slow.address, failing: failing.address, 'very-slow': verySlow.address };
    analyzer = await startFakeAnalyzer(env, {
      tables: [shadowTable(1n, server.address, pools, 'slow')],
    });
    router = await startRouter(env, {
      routing: { analyzerAddress: analyzer.address },
      shadow: { maxConcurrent: 2 },
      events: { lingerMs: 10 },
    });
    await waitUntil(() => router.router.ready(), 20_000, 'router ready');
    await waitUntil(
      () => [...router.holder.current!.pools.values()].every((pool) => pool.healthy()),
      20_000,
      'every pool healthy',
    );
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await Promise.all([slow?.stop(), failing?.stop(), verySlow?.stop(), analyzer?.stop()]);
    await server?.stop();
    await env?.remove();
  });

  it('answers with the primary bytes before a 500 ms shadow answers, and reports every comparison', async () => {
    const client = router.client();
    const direct = createClient(inference.GRPCInferenceService, {
      address: server.address,
      transport: env.transport('developer'),
    });
    try {
      const answeredAt = new Map<string, number>();
      for (let i = 0; i < REQUESTS; i++) {
        const id = `slow-${i}`;
        const viaRouter = await client.modelInfer(mlpRequest(id));
        answeredAt.set(id, Date.now());
        const straight = await direct.modelInfer({ ...mlpRequest(id), modelVersion: '1' });
        expect(viaRouter).toEqual(straight);
        // One at a time, so the concurrency bound of 2 is never what decides.
        await waitUntil(() => comparisonsFor('slow-').length === i + 1, 10_000, `comparison ${id}`);
      }
      for (const [id, at] of answeredAt) {
        expect(at).toBeLessThan(slow.calls.get(id)!.answered!);
      }
      await waitUntil(() => comparisonsFor('slow-').length === REQUESTS, 10_000, 'comparisons');
      for (const comparison of comparisonsFor('slow-')) {
        expect(comparison).toMatchObject({
          experimentId: 'exp-shadow',
          primaryVariant: 'primary',
          shadowVariant: 'candidate',
          shadowStatusCode: 0,
        });
        expect(comparison.shadowLatencyUs).toBeGreaterThanOrEqual(500_000n);
        expect(comparison.maxAbsDiff).toBeGreaterThan(0);
      }
      await waitUntil(
        () => analyzer.exposures.filter((e) => e.requestId.startsWith('slow-')).length === REQUESTS,
        10_000,
        'exposures',
      );
    } finally {
      direct.close();
    }
  });

  it('keeps answering when the shadow fails, and reports the failures as comparisons', async () => {
    analyzer.publish(shadowTable(2n, server.address, pools, 'failing'));
    await waitUntil(() => router.holder.current?.table.version === 2n, 10_000, 'table 2');
    const client = router.client();
    for (let i = 0; i < REQUESTS; i++) {
      const response = await client.modelInfer(mlpRequest(`fail-${i}`));
      expect(response.modelVersion).toBe('1');
      // One copy at a time, so the concurrency bound of 2 is never what decides.
      await waitUntil(() => comparisonsFor('fail-').length === i + 1, 10_000, `comparison ${i}`);
    }
    await waitUntil(() => comparisonsFor('fail-').length === REQUESTS, 10_000, 'comparisons');
    for (const comparison of comparisonsFor('fail-')) {
      expect(comparison.shadowStatusCode).toBe(Code.UNAVAILABLE);
      expect(comparison.outputsAgree).toBe(false);
    }
    expect(failing.calls.size).toBe(REQUESTS);
  });

  it('drops copies past the concurrency bound and counts them', async () => {
    analyzer.publish(shadowTable(3n, server.address, pools, 'very-slow'));
    await waitUntil(() => router.holder.current?.table.version === 3n, 10_000, 'table 3');
    const client = router.client();
    const droppedBefore = await dropped();
    const answers = await Promise.all(
      Array.from({ length: REQUESTS }, (_, i) => client.modelInfer(mlpRequest(`bound-${i}`))),
    );
    expect(answers).toHaveLength(REQUESTS);
    await waitUntil(
      async () => comparisonsFor('bound-').length + (await dropped()) - droppedBefore === REQUESTS,
      15_000,
      'every copy compared or dropped',
    );
    expect((await dropped()) - droppedBefore).toBeGreaterThanOrEqual(1);
    expect(verySlow.calls.size).toBe(comparisonsFor('bound-').length);
  });

  /** Copies dropped at the concurrency bound so far. */
  async function dropped(): Promise<number> {
    const match =
      /verdict_router_shadow_dropped_total\{[^}]*reason="concurrency"[^}]*\} (\d+)/.exec(
        await router.metrics(),
      );
    return match === null ? 0 : Number(match[1]);
  }

  function comparisonsFor(prefix: string) {
    return analyzer.comparisons.filter((comparison) => comparison.requestId.startsWith(prefix));
  }
});
