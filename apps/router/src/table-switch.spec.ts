import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { startFakeAnalyzer, type FakeAnalyzer } from './testing/fake-upstreams';
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

const KINDS = [
  experimentsV1.ExperimentKind.AB,
  experimentsV1.ExperimentKind.CANARY,
  experimentsV1.ExperimentKind.BLUE_GREEN,
];
const CHANGES = 20;

/** Table `version`: weights, kind, pools and on/off all vary with the version. */
function tableVersion(version: number, a: string, b: string): experimentsV1.RoutingTable {
  const pools = ['p-a', 'p-b', 'p-ab'];
  const control = pools[version % 3];
  const treatment = pools[(version + 1) % 3];
  const split = 1000 + ((version * 700) % 8000);
  return create(experimentsV1.RoutingTableSchema, {
    version: BigInt(version),
    pools: [
      { name: 'p-a', region: 'local', endpoints: [a] },
      { name: 'p-b', region: 'local', endpoints: [b] },
      { name: 'p-ab', region: 'local', endpoints: [a, b] },
    ],
    models: [
      {
        model: 'mlp',
        defaultVariant: {
          name: 'stable',
          target: { case: 'version', value: 1n },
          pool: control,
          control: true,
        },
        experiments: [
          {
            experimentId: `exp-${version % 2}`,
            kind: KINDS[version % KINDS.length],
            enabled: version % 5 !== 0,
            salt: `salt-${version % 2}`,
            variants: [
              {
                name: 'control',
                target: { case: 'version', value: 1n },
                pool: control,
                control: true,
                buckets: [{ start: 0, end: split }],
              },
              {
                name: 'treatment',
                target: { case: 'version', value: 2n },
                pool: treatment,
                buckets: [{ start: split, end: 10000 }],
              },
            ],
          },
        ],
      },
    ],
  });
}

describe('router: routing tables switch atomically under load', () => {
  let env: RouterTestEnv;
  let a: ModelServerProcess;
  let b: ModelServerProcess;
  let analyzer: FakeAnalyzer;
  let router: RouterUnderTest;

  beforeAll(async () => {
    env = await createRouterTestEnv();
    [a, b] = await Promise.all([
      startModelServerProcess(env, 'ms-a'),
      startModelServerProcess(env, 'ms-b'),
    ]);
    analyzer = await startFakeAnalyzer(env, { tables: [tableVersion(1, a.address, b.address)] });
    router = await startRouter(env, {
      routing: { analyzerAddress: analyzer.address, watchRetryInitialMs: 50, watchRetryMaxMs: 200 },
      events: { lingerMs: 10 },
    });
    await waitUntil(
      () =>
        router.router.ready() &&
        [...router.holder.current!.pools.values()].every((pool) => pool.healthy()),
      20_000,
      'router ready with every pool healthy',
    );
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await analyzer?.stop();
    await Promise.all([a?.stop(), b?.stop()]);
    await env?.remove();
  });

  it(`serves through ${CHANGES} table changes with zero failures, each answer attributed to exactly one applied version`, async () => {
    const client = router.client();
    const answers = new Map<
      string,
      { version: string; experiment: string; variant: string; modelVersion: string }
    >();
    const failures: unknown[] = [];
    let running = true;
    const worker = async (w: number) => {
      for (let i = 0; running; i++) {
        const id = `ts-${w}-${i}`;
        let trailers: Record<string, string> = {};
        try {
          const response = await client.modelInfer(mlpRequest(id), {
            headers: { 'x-verdict-unit': `unit-${w}-${i % 50}` },
            onTrailer: (t) => (trailers = t),
          });
          answers.set(id, {
            version: trailers['x-verdict-table-version'],
            experiment: trailers['x-verdict-experiment'],
            variant: trailers['x-verdict-variant'],
            modelVersion: response.modelVersion,
          });
        } catch (error) {
          failures.push(error);
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    await waitUntil(() => answers.size >= 100, 30_000, 'load running');
    for (let version = 2; version <= CHANGES + 1; version++) {
      analyzer.publish(tableVersion(version, a.address, b.address));
      await waitUntil(
        () => router.holder.current?.table.version === BigInt(version),
        10_000,
        `table ${version}`,
      );
      const seen = answers.size;
      await waitUntil(() => answers.size >= seen + 20, 30_000, `answers under table ${version}`);
    }
    running = false;
    await Promise.all(workers);

    expect(failures).toEqual([]);
    const applied = new Set(Array.from({ length: CHANGES + 1 }, (_, i) => String(i + 1)));
    const versionsSeen = new Set<string>();
    for (const answer of answers.values()) {
      expect(applied.has(answer.version)).toBe(true);
      versionsSeen.add(answer.version);
      // The variant that answered is the one the trailers name.
      expect(answer.modelVersion).toBe(answer.variant === 'treatment' ? '2' : '1');
    }
    expect(versionsSeen.size).toBeGreaterThanOrEqual(CHANGES / 2);

    const inExperiment = [...answers].filter(([, answer]) => answer.experiment !== '');
    await waitUntil(
      () =>
        analyzer.exposures.filter((e) => e.requestId.startsWith('ts-')).length >=
        inExperiment.length,
      15_000,
      'every exposure',
    );
    const exposures = analyzer.exposures.filter((e) => e.requestId.startsWith('ts-'));
    expect(exposures).toHaveLength(inExperiment.length);
    const byRequest = new Map(exposures.map((e) => [e.requestId, e]));
    expect(byRequest.size).toBe(exposures.length);
    for (const [id, answer] of inExperiment) {
      const exposure = byRequest.get(id)!;
      expect(String(exposure.routingTableVersion)).toBe(answer.version);
      expect(exposure.experimentId).toBe(answer.experiment);
      expect(exposure.variant).toBe(answer.variant);
    }
  });

  it('keeps the last table while the analyzer is away and resumes after its version when it is back', async () => {
    const last = router.holder.current!.table.version;
    const port = analyzer.port;
    await analyzer.stop();
    const client = router.client();
    for (let i = 0; i < 10; i++) {
      let trailers: Record<string, string> = {};
      await client.modelInfer(mlpRequest(`away-${i}`), { onTrailer: (t) => (trailers = t) });
      expect(trailers['x-verdict-table-version']).toBe(String(last));
    }
    analyzer = await startFakeAnalyzer(env, {
      port,
      tables: [tableVersion(Number(last) + 1, a.address, b.address)],
    });
    await waitUntil(
      () => router.holder.current?.table.version === last + 1n,
      20_000,
      'table from the restarted analyzer',
    );
    expect(analyzer.watches[0]).toBe(last);
  });
});
