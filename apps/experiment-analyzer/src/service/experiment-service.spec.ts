import { create } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import fc from 'fast-check';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable } from '@verdict/routing';
import { demoExperiment } from '../../../cli/src/demo-experiment';
import { spamAb, startAnalyzerFixture, type AnalyzerFixture } from '../testing/analyzer-fixture';

const {
  ExperimentState,
  ExperimentKind,
  VariantRole,
  TargetingOp,
  AttributeSource,
  DecisionAction,
} = experimentsV1;
type Experiment = experimentsV1.Experiment;
type Client = Awaited<ReturnType<AnalyzerFixture['experiments']>>;

/** Corruptions of a valid definition, each with the field the error must name. */
const MALFORMED: fc.Arbitrary<{ field: string; mutate: (e: Experiment) => void }> = fc.oneof(
  fc.constantFrom('', '   ', 'x'.repeat(101), 'bad\u0001name').map((name) => ({
    field: 'experiment.name',
    mutate: (e: Experiment) => void (e.name = name),
  })),
  fc
    .string()
    .filter((s) => !/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/.test(s))
    .map((model) => ({
      field: 'experiment.model',
      mutate: (e: Experiment) => void (e.model = model),
    })),
  fc.constantFrom(0, 6, 99).map((kind) => ({
    field: 'experiment.kind',
    mutate: (e: Experiment) => void (e.kind = kind as experimentsV1.ExperimentKind),
  })),
  fc.constant({
    field: 'experiment.variants[1].name',
    mutate: (e: Experiment) => void (e.variants[1]!.name = e.variants[0]!.name),
  }),
  fc.constant({
    field: 'experiment.variants',
    mutate: (e: Experiment) => void (e.variants[1]!.role = VariantRole.CONTROL),
  }),
  fc.constant({
    field: 'experiment.variants',
    mutate: (e: Experiment) => void e.variants.splice(1),
  }),
  fc
    .oneof(fc.double({ max: -Number.MIN_VALUE, noNaN: true }), fc.constantFrom(NaN, Infinity))
    .map((weight) => ({
      field: 'experiment.variants[0].weight',
      mutate: (e: Experiment) => void (e.variants[0]!.weight = weight),
    })),
  fc
    .string()
    .filter((pool) => pool !== 'default' && pool !== 'eu')
    .map((pool) => ({
      field: 'experiment.variants[1].pool',
      mutate: (e: Experiment) => void (e.variants[1]!.pool = pool),
    })),
  fc.constant({
    field: 'experiment.variants[1].target',
    mutate: (e: Experiment) => void (e.variants[1]!.target = { case: undefined }),
  }),
  fc.constant({
    field: 'experiment.variants[2].role',
    mutate: (e: Experiment) =>
      void e.variants.push(
        create(experimentsV1.VariantSchema, {
          name: 'shadow',
          target: { case: 'version', value: 3n },
          pool: 'default',
          role: VariantRole.SHADOW,
        }),
      ),
  }),
  fc
    .array(fc.string(), { maxLength: 3 })
    .filter((v) => v.length !== 1)
    .map((values) => ({
      field: 'experiment.targeting[0].values',
      mutate: (e: Experiment) =>
        void (e.targeting = [
          create(experimentsV1.TargetingRuleSchema, {
            source: AttributeSource.METADATA,
            attribute: 'x-country',
            op: TargetingOp.EQUALS,
            values,
          }),
        ]),
    })),
  fc.integer({ min: 10_001, max: 2 ** 31 }).map((end) => ({
    field: 'experiment.layer_range.end',
    mutate: (e: Experiment) => {
      e.layer = 'l1';
      e.layerRange = create(experimentsV1.BucketRangeSchema, { start: 0, end });
    },
  })),
  fc.constant({
    field: 'experiment.primary_metric',
    mutate: (e: Experiment) => void (e.primaryMetric = undefined),
  }),
  fc.constant({
    field: 'experiment.variants',
    mutate: (e: Experiment) => {
      e.kind = ExperimentKind.CANARY;
      e.variants.push(create(experimentsV1.VariantSchema, { ...e.variants[1]!, name: 'third' }));
    },
  }),
  fc.double({ min: -1e6, max: 1e6, noNaN: true }).map((min) => ({
    field: 'experiment.targeting[0].max',
    mutate: (e: Experiment) =>
      void (e.targeting = [
        create(experimentsV1.TargetingRuleSchema, {
          source: AttributeSource.PARAMETER,
          attribute: 'score',
          op: TargetingOp.RANGE,
          min,
          max: min - 1,
        }),
      ]),
  })),
  fc.constantFrom(0, 100, 150, -5).map((percentile) => ({
    field: 'experiment.secondary_metrics[0].percentile',
    mutate: (e: Experiment) =>
      void (e.secondaryMetrics = [
        create(experimentsV1.MetricSpecSchema, {
          name: 'latency',
          type: experimentsV1.MetricType.LATENCY,
          direction: experimentsV1.MetricDirection.LOWER_IS_BETTER,
          percentile,
        }),
      ]),
  })),
  fc.constantFrom(-0.01, NaN, Infinity).map((maxDegradation) => ({
    field: 'experiment.guardrails[0].max_degradation',
    mutate: (e: Experiment) => void (e.guardrails[0]!.maxDegradation = maxDegradation),
  })),
  fc.double({ min: 1.0000001, max: 1e6, noNaN: true }).map((step) => ({
    field: 'experiment.policy.canary_step',
    mutate: (e: Experiment) => void (e.policy!.canaryStep = step),
  })),
  fc
    .oneof(fc.double({ min: 0.5000001, max: 1e9, noNaN: true }), fc.constantFrom(-0.1, NaN))
    .map((alpha) => ({
      field: 'experiment.policy.alpha',
      mutate: (e: Experiment) => void (e.policy!.alpha = alpha),
    })),
);

async function expectStatus(promise: Promise<unknown>, code: number, pattern?: RegExp) {
  const error = (await promise.then(
    () => undefined,
    (e: unknown) => e,
  )) as { code: number; details: string } | undefined;
  expect(error).toBeDefined();
  expect({ code: error!.code, details: error!.details }).toEqual({
    code,
    details: pattern ? expect.stringMatching(pattern) : expect.any(String),
  });
}

describe('experiment-analyzer ExperimentService and RoutingService over mutual TLS', () => {
  let fixture: AnalyzerFixture;
  let client: Client;

  beforeAll(async () => {
    fixture = await startAnalyzerFixture();
    client = await fixture.experiments();
  }, 30_000);

  afterAll(() => fixture?.stop(), 20_000);

  it('creates, gets and lists experiments; server assigns id, salt, version, team and timestamps', async () => {
    const { experiment } = await client.createExperiment({ experiment: spamAb({ name: 'crud' }) });
    expect(experiment).toMatchObject({
      name: 'crud',
      state: ExperimentState.DRAFT,
      version: 1n,
      team: 'default',
      createdBy: 'spiffe://verdict.local/ns/default/sa/tester',
    });
    expect(experiment!.id).toMatch(/^exp-[0-9a-f]{12}$/);
    expect(experiment!.salt).toMatch(/^[0-9a-f]{16}$/);
    expect(experiment!.createTime).toBeDefined();
    expect(experiment!.policy!.srmAlpha).toBe(0.001);
    const got = await client.getExperiment({ id: experiment!.id });
    expect(got.experiment).toEqual(experiment);
    await expectStatus(
      client.createExperiment({ experiment: spamAb({ name: 'crud' }) }),
      status.ALREADY_EXISTS,
      /spam\/crud/,
    );
    await expectStatus(client.getExperiment({ id: 'exp-nope' }), status.NOT_FOUND, /exp-nope/);
    const audited = fixture.audit.records.filter(
      (r) => r.action === 'experiment.create' && r.resource === `experiment/${experiment!.id}`,
    );
    expect(audited).toHaveLength(1);
  });

  it('accepts the demo experiment verdict dev seeds, routing spam 50/50 once started', async () => {
    const { experiment } = await client.createExperiment({ experiment: demoExperiment() });
    expect(experiment).toMatchObject({ team: 'demo', model: 'spam' });
    await client.startExperiment({ id: experiment!.id });
    const table = (await fixture.routing().getRoutingTable({})).table!;
    const compiled = compileRoutingTable(table);
    expect(compiled).toBeDefined();
    const route = table.models.find((m) => m.model === 'spam')!.experiments.at(-1)!;
    expect(
      route.variants.map((v) => [v.name, v.buckets.reduce((n, b) => n + b.end - b.start, 0)]),
    ).toEqual([
      ['control', 5000],
      ['treatment', 5000],
    ]);
    await client.stopExperiment({ id: experiment!.id });
  });

  it('lists newest first with filters and paging', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { experiment } = await client.createExperiment({
        experiment: spamAb({ name: `page-${i}`, model: 'pager' }),
      });
      ids.push(experiment!.id);
    }
    const seen: string[] = [];
    let pageToken = '';
    do {
      const page = await client.listExperiments({ model: 'pager', pageSize: 2, pageToken });
      expect(page.experiments.length).toBeLessThanOrEqual(2);
      seen.push(...page.experiments.map((e) => e.id));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(seen).toEqual([...ids].reverse());
    const running = await client.listExperiments({
      model: 'pager',
      state: ExperimentState.RUNNING,
    });
    expect(running.experiments).toHaveLength(0);
    await expectStatus(
      client.listExperiments({ pageToken: 'garbage' }),
      status.INVALID_ARGUMENT,
      /^page_token/,
    );
  });

  it('rejects malformed experiments with INVALID_ARGUMENT naming the field, storing nothing', async () => {
    const before = (await client.listExperiments({ pageSize: 1000 })).experiments.length;
    await fc.assert(
      fc.asyncProperty(MALFORMED, async ({ field, mutate }) => {
        const experiment = spamAb({ name: 'malformed' });
        mutate(experiment);
        const error = (await client.createExperiment({ experiment }).then(
          () => undefined,
          (e: unknown) => e,
        )) as { code: number; details: string } | undefined;
        expect(error?.code).toBe(status.INVALID_ARGUMENT);
        expect(error!.details.startsWith(`${field}:`)).toBe(true);
      }),
      { numRuns: 80 },
    );
    expect((await client.listExperiments({ pageSize: 1000 })).experiments).toHaveLength(before);
  });

  it('updates with compare-and-set: a stale version is ABORTED, model and kind are immutable', async () => {
    const { experiment } = await client.createExperiment({ experiment: spamAb({ name: 'cas' }) });
    const changed = spamAb({ name: 'cas', id: experiment!.id, description: 'first edit' });
    const first = await client.updateExperiment({ experiment: changed, expectedVersion: 1n });
    expect(first.experiment).toMatchObject({ version: 2n, description: 'first edit' });
    expect(first.experiment!.salt).toBe(experiment!.salt);
    await expectStatus(
      client.updateExperiment({ experiment: changed, expectedVersion: 1n }),
      status.ABORTED,
      /expected version 1, it is at 2/,
    );
    await expectStatus(
      client.updateExperiment({
        experiment: spamAb({ name: 'cas', id: experiment!.id, model: 'other' }),
        expectedVersion: 2n,
      }),
      status.INVALID_ARGUMENT,
      /^experiment\.model:/,
    );
    await expectStatus(
      client.updateExperiment({
        experiment: spamAb({ name: 'cas', id: experiment!.id, kind: ExperimentKind.BANDIT }),
        expectedVersion: 2n,
      }),
      status.INVALID_ARGUMENT,
      /^experiment\.kind:/,
    );
    expect((await client.getExperiment({ id: experiment!.id })).experiment!.version).toBe(2n);
  });

  it("enforces experiment:write on the experiment's team", async () => {
    const writer = await fixture.experiments('writer-b');
    const own = await writer.createExperiment({
      experiment: spamAb({ name: 'team-b-exp', model: 'teams' }),
    });
    expect(own.experiment!.team).toBe('team-b');
    await writer.startExperiment({ id: own.experiment!.id });
    const foreign = await client.createExperiment({
      experiment: spamAb({ name: 'default-team-exp', model: 'teams' }),
    });
    await expectStatus(
      writer.startExperiment({ id: foreign.experiment!.id }),
      status.PERMISSION_DENIED,
      /experiment:write/,
    );
    await expectStatus(
      writer.createExperiment({
        experiment: spamAb({ name: 'sneaky', model: 'teams', team: 'default' }),
      }),
      status.PERMISSION_DENIED,
      /experiment:write/,
    );
    const listed = await writer.listExperiments({ model: 'teams' });
    expect(listed.experiments.map((e) => e.name)).toEqual(['team-b-exp']);
    expect(
      fixture.audit.records.some(
        (r) => r.action === 'authz.deny' && r.resource === `experiment/${foreign.experiment!.id}`,
      ),
    ).toBe(true);
    expect((await client.getExperiment({ id: foreign.experiment!.id })).experiment!.state).toBe(
      ExperimentState.DRAFT,
    );
  });

  it('asks a caller who writes for several teams to name one', async () => {
    const writer = await fixture.experiments('writer-ab');
    await expectStatus(
      writer.createExperiment({ experiment: spamAb({ name: 'which-team', model: 'teams' }) }),
      status.INVALID_ARGUMENT,
      /^experiment\.team: .*team-a, team-b/,
    );
    const named = await writer.createExperiment({
      experiment: spamAb({ name: 'which-team', model: 'teams', team: 'team-a' }),
    });
    expect(named.experiment!.team).toBe('team-a');
  });

  it('keeps experiments of one model and layer on disjoint layer ranges', async () => {
    const layered = (name: string, start: number, end: number) =>
      spamAb({ name, model: 'layered', layer: 'ranking', layerRange: { start, end } });
    const first = await client.createExperiment({ experiment: layered('left', 0, 5000) });
    const second = await client.createExperiment({ experiment: layered('right', 5000, 10_000) });
    // It overlaps both; the message names one of them.
    await expectStatus(
      client.createExperiment({ experiment: layered('overlap', 4000, 6000) }),
      status.INVALID_ARGUMENT,
      new RegExp(
        `^experiment\\.layer_range: expected .*(${first.experiment!.id}|${second.experiment!.id})`,
      ),
    );
    await expectStatus(
      client.createExperiment({ experiment: layered('overlap-left', 4999, 5000) }),
      status.INVALID_ARGUMENT,
      new RegExp(`disjoint from experiment ${first.experiment!.id} \\[0, 5000\\)`),
    );
    await expectStatus(
      client.createExperiment({
        experiment: spamAb({ name: 'whole-layer', model: 'layered', layer: 'ranking' }),
      }),
      status.INVALID_ARGUMENT,
      /^experiment\.layer_range:/,
    );
    // Another layer, or the same ranges once the first experiment has concluded, is fine.
    await client.createExperiment({
      experiment: spamAb({ name: 'other-layer', model: 'layered', layer: 'colour' }),
    });
    await client.startExperiment({ id: first.experiment!.id });
    await client.concludeExperiment({ id: first.experiment!.id });
    await client.createExperiment({ experiment: layered('reuse', 0, 5000) });
  });

  it('moves through the state machine and refuses illegal transitions with FAILED_PRECONDITION', async () => {
    const { experiment } = await client.createExperiment({
      experiment: spamAb({ name: 'states', model: 'states' }),
    });
    const id = experiment!.id;
    await expectStatus(client.pauseExperiment({ id }), status.FAILED_PRECONDITION, /DRAFT/);
    await expectStatus(
      client.concludeExperiment({ id, winner: 'treatment' }),
      status.FAILED_PRECONDITION,
      /DRAFT/,
    );
    expect((await client.startExperiment({ id, reason: 'go' })).experiment!.state).toBe(
      ExperimentState.RUNNING,
    );
    await expectStatus(client.startExperiment({ id }), status.FAILED_PRECONDITION, /RUNNING/);
    expect((await client.pauseExperiment({ id })).experiment!.state).toBe(ExperimentState.PAUSED);
    expect((await client.startExperiment({ id })).experiment!.state).toBe(ExperimentState.RUNNING);
    await expectStatus(
      client.concludeExperiment({ id, winner: 'nobody' }),
      status.INVALID_ARGUMENT,
      /^winner:/,
    );
    await expectStatus(
      client.concludeExperiment({ id, winner: 'treatment', promote: true }),
      status.FAILED_PRECONDITION,
      /no model registry/,
    );
    const concluded = await client.concludeExperiment({ id, winner: 'treatment', reason: 'won' });
    expect(concluded.experiment).toMatchObject({
      state: ExperimentState.CONCLUDED,
      winner: 'treatment',
    });
    expect(concluded.decision).toMatchObject({
      action: DecisionAction.PROMOTE,
      variant: 'treatment',
      applied: true,
      actor: 'spiffe://verdict.local/ns/default/sa/tester',
      experimentVersion: concluded.experiment!.version,
    });
    expect(concluded.decision!.routingTableVersion).toBeGreaterThan(0n);
    for (const call of [
      client.startExperiment({ id }),
      client.stopExperiment({ id }),
      client.updateExperiment({
        experiment: spamAb({ name: 'states', model: 'states', id }),
        expectedVersion: concluded.experiment!.version,
      }),
    ]) {
      await expectStatus(call, status.FAILED_PRECONDITION, /CONCLUDED/);
    }
    const decisions = await client.listDecisions({ experimentId: id });
    expect(decisions.decisions.map((d) => d.id)).toEqual([concluded.decision!.id]);
  });

  it('makes a new routing-table version for every change; Watch delivers them in order and resumes', async () => {
    const routing = fixture.routing();
    const start = (await routing.getRoutingTable({})).table!;
    const controller = new AbortController();
    const received: experimentsV1.RoutingTable[] = [];
    const watching = (async () => {
      for await (const message of routing.watchRoutingTable(
        { afterVersion: start.version },
        { signal: controller.signal },
      )) {
        received.push(message.table!);
      }
    })().catch((error: { code?: number }) => {
      if (error.code !== status.CANCELLED) throw error;
    });

    const { experiment } = await client.createExperiment({
      experiment: spamAb({ name: 'watched', model: 'watched' }),
    });
    const id = experiment!.id;
    await client.startExperiment({ id });
    const update = spamAb({ name: 'watched', model: 'watched', id });
    update.variants[0]!.weight = 60;
    update.variants[1]!.weight = 40;
    await client.updateExperiment({ experiment: update, expectedVersion: 2n });
    await client.pauseExperiment({ id });
    const last = (await routing.getRoutingTable({})).table!;
    expect(last.version).toBe(start.version + 4n);
    while (received.length === 0 || received.at(-1)!.version < last.version) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort();
    await watching;
    const versions = received.map((t) => t.version);
    expect(versions).toEqual([...versions].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(versions).size).toBe(versions.length);
    expect(versions.at(-1)).toBe(last.version);

    // Every table compiles in the routers' own library.
    for (const table of [...received, last]) expect(() => compileRoutingTable(table)).not.toThrow();
    const route = last.models.find((m) => m.model === 'watched')!;
    expect(route.defaultVariant).toMatchObject({ name: 'control', control: true });
    const exp = route.experiments[0]!;
    expect(exp).toMatchObject({ experimentId: id, enabled: false, salt: experiment!.salt });
    const size = (name: string) =>
      exp.variants
        .find((v) => v.name === name)!
        .buckets.reduce((sum, b) => sum + b.end - b.start, 0);
    expect([size('control'), size('treatment')]).toEqual([6000, 4000]);

    // Resuming from a version already seen gives nothing until the next change, then that one.
    const resumed: bigint[] = [];
    const again = new AbortController();
    const resuming = (async () => {
      for await (const message of routing.watchRoutingTable(
        { afterVersion: last.version },
        { signal: again.signal },
      )) {
        resumed.push(message.table!.version);
      }
    })().catch((error: { code?: number }) => {
      if (error.code !== status.CANCELLED) throw error;
    });
    await client.startExperiment({ id });
    while (resumed.length === 0) await new Promise((resolve) => setTimeout(resolve, 20));
    again.abort();
    await resuming;
    expect(resumed).toEqual([last.version + 1n]);
    const before = await routing
      .watchRoutingTable({ afterVersion: 0n })
      [Symbol.asyncIterator]()
      .next();
    expect(before.value!.table!.version).toBe(last.version + 1n);
  });
});
