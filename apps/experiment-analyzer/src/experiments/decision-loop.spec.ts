import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { createMemoryAuditSink } from '@verdict/audit-client';
import { experimentsV1 } from '@verdict/proto';
import { createAuthorizer, parsePolicy, servicePrincipal } from '@verdict/security';
import { createMemoryStore, type Store } from '@verdict/store';
import { createRoutingTables } from '../routing/routing-tables';
import type { DecisionDraft } from '../service/stats-contract';
import { spamAb } from '../testing/analyzer-fixture';
import { createAccess, type Actor } from './access';
import { createDecisionLoop } from './decision-loop';
import { createExperiments, type Experiments } from './experiments';

const { DecisionAction, ExperimentState } = experimentsV1;
const POOLS = [{ name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] }];
const ADMIN: Actor = {
  principal: servicePrincipal('spiffe://verdict.local/ns/default/sa/tester'),
  traceId: '',
};
const ANALYZER: Actor = {
  principal: servicePrincipal('spiffe://verdict.local/ns/default/sa/experiment-analyzer'),
  traceId: '',
};
const POLICY = parsePolicy(
  `roles:\n  admin: ['*']\nbindings:\n  - principals: ['${ADMIN.principal.id}']\n    roles: [admin]\n`,
  'test policy',
);

/** A replica: experiments over a shared store, with a clock the test moves. */
function replica(store: Store, clock: { ms: number }) {
  const now = () => new Date(clock.ms);
  const audit = createMemoryAuditSink();
  const ref: { experiments?: Experiments } = {};
  const tables = createRoutingTables({
    store,
    pools: POOLS,
    experiments: () => ref.experiments!.stored.all(),
    now,
  });
  ref.experiments = createExperiments({
    store,
    access: createAccess(createAuthorizer(POLICY), audit),
    pools: POOLS,
    tables,
    now,
  });
  return { experiments: ref.experiments, tables, audit, now };
}

function loopOf(
  r: ReturnType<typeof replica>,
  store: Store,
  draft: (experiment: experimentsV1.Experiment) => DecisionDraft,
  evaluated: string[],
) {
  return createDecisionLoop({
    experiments: r.experiments,
    results: {
      results: (experiment) =>
        Promise.resolve(create(experimentsV1.ResultsSchema, { experimentId: experiment.id })),
    },
    evaluate: (experiment) => {
      evaluated.push(experiment.id);
      return draft(experiment);
    },
    store,
    actor: ANALYZER,
    tickMs: 1000,
    canMoveAlias: false,
    logger: { info: () => undefined, warn: () => undefined },
    now: r.now,
  });
}

describe('decision loop', () => {
  const clock = { ms: Date.UTC(2026, 0, 1) };
  let store: Store;

  beforeEach(() => {
    store = createMemoryStore();
  });

  afterEach(() => store.close());

  async function running(r: ReturnType<typeof replica>, autoApply: boolean) {
    const definition = spamAb({ name: `e-${clock.ms}` });
    definition.policy!.interval = durationFromMs(60_000);
    definition.policy!.autoApply = autoApply;
    const { id } = await r.experiments.create(ADMIN, definition);
    return r.experiments.transition(ADMIN, 'start', id, 'test');
  }

  it('evaluates each interval once across replicas sharing the store', async () => {
    const a = replica(store, clock);
    const b = replica(store, clock);
    const experiment = await running(a, true);
    const evaluated: string[] = [];
    const continueDraft = () => ({
      action: DecisionAction.CONTINUE,
      reason: 'keep going',
      numbers: {},
      variant: '',
    });
    const loops = [
      loopOf(a, store, continueDraft, evaluated),
      loopOf(b, store, continueDraft, evaluated),
    ];
    expect(await loops[0]!.tick()).toBe(0); // the interval has not elapsed since the start
    clock.ms += 60_000;
    const counts = await Promise.all(loops.map((loop) => loop.tick()));
    expect(counts.reduce((x, y) => x + y, 0)).toBe(1);
    expect(await loops[1]!.tick()).toBe(0);
    clock.ms += 60_000;
    expect((await loops[1]!.tick()) + (await loops[0]!.tick())).toBe(1);
    expect(evaluated).toEqual([experiment.id, experiment.id]);
    const { decisions } = await a.experiments.listDecisions(ADMIN, {
      experimentId: experiment.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(decisions).toHaveLength(0); // CONTINUE is not recorded
  });

  it('records a recommendation once, changes nothing, when auto_apply is off', async () => {
    const r = replica(store, clock);
    const experiment = await running(r, false);
    const tableBefore = (await r.tables.current())!.version;
    const loop = loopOf(
      r,
      store,
      () => ({
        action: DecisionAction.ROLLBACK,
        reason: 'error_rate breached',
        numbers: { p_value: 0.001 },
        variant: 'treatment',
      }),
      [],
    );
    for (let i = 0; i < 3; i++) {
      clock.ms += 60_000;
      expect(await loop.tick()).toBe(1);
    }
    const { decisions } = await r.experiments.listDecisions(ADMIN, {
      experimentId: experiment.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({
      action: DecisionAction.ROLLBACK,
      applied: false,
      actor: ANALYZER.principal.id,
      routingTableVersion: 0n,
      numbers: { p_value: 0.001 },
    });
    const after = await r.experiments.get(ADMIN, experiment.id);
    expect(after.state).toBe(ExperimentState.RUNNING);
    expect((await r.tables.current())!.version).toBe(tableBefore);
    expect(r.audit.records.filter((x) => x.action === 'experiment.decision')).toHaveLength(1);
  });

  it('applies a step: new weights, a new table version, the decision and its audit record', async () => {
    const r = replica(store, clock);
    const experiment = await running(r, true);
    const loop = loopOf(
      r,
      store,
      () => ({
        action: DecisionAction.STEP,
        reason: 'guardrails hold',
        numbers: { canary_weight: 0.5 },
        variant: 'treatment',
        weights: { control: 0.7, treatment: 0.3 },
      }),
      [],
    );
    clock.ms += 60_000;
    await loop.tick();
    const after = await r.experiments.get(ADMIN, experiment.id);
    expect(after.variants.map((v) => v.weight)).toEqual([0.7, 0.3]);
    expect(after.version).toBe(experiment.version + 1n);
    const table = (await r.tables.current())!;
    const route = table.models[0]!.experiments[0]!;
    expect(route.experimentVersion).toBe(after.version);
    expect(route.variants.map((v) => v.buckets.reduce((s, b) => s + b.end - b.start, 0))).toEqual([
      7000, 3000,
    ]);
    const { decisions } = await r.experiments.listDecisions(ADMIN, {
      experimentId: experiment.id,
      pageSize: 10,
      pageToken: '',
    });
    expect(decisions[0]).toMatchObject({
      action: DecisionAction.STEP,
      applied: true,
      routingTableVersion: table.version,
      experimentVersion: after.version,
    });
    const record = r.audit.records.find((x) => x.action === 'experiment.weights');
    expect(record?.details).toMatchObject({ decision: decisions[0]!.id });
  });

  it.each([
    ['NO_DIFFERENCE', DecisionAction.NO_DIFFERENCE, '', 'control'],
    ['PROMOTE', DecisionAction.PROMOTE, 'treatment', 'treatment'],
    ['ROLLBACK', DecisionAction.ROLLBACK, 'treatment', 'control'],
  ])(
    'applies %s by concluding: the winner (or control) becomes the default, no alias moves without a registry',
    async (_name, action, variant, defaultName) => {
      const r = replica(store, clock);
      const experiment = await running(r, true);
      const loop = loopOf(
        r,
        store,
        () => ({ action, reason: 'policy says so', numbers: { p_value: 0.01 }, variant }),
        [],
      );
      clock.ms += 60_000;
      await loop.tick();
      const after = await r.experiments.get(ADMIN, experiment.id);
      const winner = action === DecisionAction.NO_DIFFERENCE ? '' : defaultName;
      expect(after).toMatchObject({ state: ExperimentState.CONCLUDED, winner });
      const table = (await r.tables.current())!;
      expect(table.models[0]!.experiments).toHaveLength(0);
      expect(table.models[0]!.defaultVariant!.name).toBe(defaultName);
      const { decisions } = await r.experiments.listDecisions(ADMIN, {
        experimentId: experiment.id,
        pageSize: 10,
        pageToken: '',
      });
      expect(decisions).toEqual([
        expect.objectContaining({
          action,
          applied: true,
          variant: winner,
          reason: 'policy says so',
          routingTableVersion: table.version,
        }),
      ]);
      clock.ms += 60_000;
      expect(await loop.tick()).toBe(0); // concluded experiments are not evaluated again
    },
  );

  it('pages decisions newest first', async () => {
    const r = replica(store, clock);
    const experiment = await running(r, false);
    for (let i = 0; i < 5; i++) {
      clock.ms += 1000;
      await r.experiments.recordDecision(ANALYZER, experiment, {
        action: DecisionAction.CONTINUE,
        reason: `note ${i}`,
        numbers: {},
        variant: '',
        applied: false,
      });
    }
    const reasons: string[] = [];
    let pageToken = '';
    do {
      const page = await r.experiments.listDecisions(ADMIN, {
        experimentId: experiment.id,
        pageSize: 2,
        pageToken,
      });
      reasons.push(...page.decisions.map((d) => d.reason));
      pageToken = page.nextPageToken;
    } while (pageToken !== '');
    expect(reasons).toEqual(['note 4', 'note 3', 'note 2', 'note 1', 'note 0']);
  });
});
