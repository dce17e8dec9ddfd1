import { create } from '@bufbuild/protobuf';
import { durationFromMs, timestampNow } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable } from '@verdict/routing';
import { spamAb, startAnalyzerFixture, type AnalyzerFixture } from '../testing/analyzer-fixture';

const { ExperimentState, DecisionAction } = experimentsV1;
const PER_VARIANT = 4000;

/** Exposures of `count` distinct units on one variant, `errors` of them failed (status 14). */
function exposures(experimentId: string, variant: string, count: number, errors: number) {
  return Array.from({ length: count }, (_, i) =>
    create(experimentsV1.ExposureEventSchema, {
      eventId: `${variant}-${i}`,
      experimentId,
      variant,
      unitId: `${variant}-unit-${i}`,
      requestId: `${variant}-request-${i}`,
      model: 'spam',
      modelVersion: variant === 'control' ? '1' : '2',
      time: timestampNow(),
      latencyUs: 2000n + BigInt(i % 100),
      // Spread evenly, so every prefix of the batch has the same error rate.
      statusCode: i % Math.round(count / Math.max(errors, 1)) === 0 && errors > 0 ? 14 : 0,
      routingTableVersion: 1n,
    }),
  );
}

describe('decision loop: automatic rollback of a failing treatment', () => {
  let fixture: AnalyzerFixture;

  beforeAll(async () => {
    fixture = await startAnalyzerFixture({ env: { VERDICT_DECISION_TICK_MS: '50' } });
  }, 30_000);

  afterAll(() => fixture?.stop(), 20_000);

  it('rolls back a treatment that fails 5% of requests: decision, routing-table change and audit record', async () => {
    const client = await fixture.experiments();
    const routing = fixture.routing();
    const ingest = fixture.ingest();
    const definition = spamAb({ name: 'failing-treatment' });
    definition.policy!.autoApply = true;
    definition.policy!.interval = durationFromMs(200);
    definition.policy!.method = experimentsV1.DecisionMethod.SEQUENTIAL;
    const { experiment } = await client.createExperiment({ experiment: definition });
    const id = experiment!.id;
    const started = await client.startExperiment({ id, reason: 'test' });
    const runningTable = (await routing.getRoutingTable({})).table!;
    expect(runningTable.models.find((m) => m.model === 'spam')!.experiments[0]!.enabled).toBe(true);

    // Both variants in every batch, so the split stays 50/50 whenever the loop looks.
    const control = exposures(id, 'control', PER_VARIANT, 0);
    const treatment = exposures(id, 'treatment', PER_VARIANT, PER_VARIANT / 20);
    for (let i = 0; i < PER_VARIANT; i += 500) {
      const events = [...control.slice(i, i + 500), ...treatment.slice(i, i + 500)];
      const response = await ingest.recordExposures({ events });
      expect(response.acceptedCount).toBe(1000n);
    }
    const results = await client.getResults({ experimentId: id });
    const errorRate = (variant: string) =>
      results
        .results!.variants.find((v) => v.variant === variant)!
        .metrics.find((m) => m.metric === 'error_rate')!;
    expect(errorRate('treatment').mean).toBeCloseTo(0.05, 3);
    expect(errorRate('control').mean).toBe(0);

    let current = started.experiment!;
    while (current.state === ExperimentState.RUNNING) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      current = (await client.getExperiment({ id })).experiment!;
    }
    expect(current).toMatchObject({ state: ExperimentState.CONCLUDED, winner: 'control' });

    // The conclusion's decision is written just after the experiment and its table.
    let { decisions } = await client.listDecisions({ experimentId: id });
    while (!decisions.some((d) => d.action === DecisionAction.ROLLBACK)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      ({ decisions } = await client.listDecisions({ experimentId: id }));
    }
    expect(decisions).toHaveLength(1);
    const decision = decisions[0]!;
    expect(decision).toMatchObject({
      action: DecisionAction.ROLLBACK,
      variant: 'control',
      applied: true,
      actor: 'spiffe://verdict.local/ns/default/sa/alpha',
      experimentVersion: current.version,
    });
    expect(decision.reason).toMatch(/error_rate/);
    expect(decision.numbers['p_value']).toBeLessThan(0.05);
    expect(decision.numbers['treatment_mean']).toBeCloseTo(0.05, 3);

    const table = (await routing.getRoutingTable({})).table!;
    expect(table.version).toBe(decision.routingTableVersion);
    expect(table.version).toBeGreaterThan(runningTable.version);
    compileRoutingTable(table);
    const route = table.models.find((m) => m.model === 'spam')!;
    expect(route.experiments).toHaveLength(0);
    expect(route.defaultVariant).toMatchObject({
      name: 'control',
      target: { case: 'version', value: 1n },
    });

    const conclusionRecord = () =>
      fixture.audit.records.find(
        (r) => r.action === 'experiment.conclude' && r.resource === `experiment/${id}`,
      );
    // Audited right after the decision is stored.
    while (conclusionRecord() === undefined)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const audited = conclusionRecord();
    expect(audited!.actor).toBe('spiffe://verdict.local/ns/default/sa/alpha');
    expect(audited!.details).toMatchObject({
      action: 'ROLLBACK',
      winner: 'control',
      decision: decision.id,
      table_version: String(table.version),
    });

    // The replica's own metrics follow (the table gauge through its watch, so wait for it).
    const metricsUrl = `http://127.0.0.1:${fixture.service.opsPort}/metrics`;
    const gauge = `verdict_analyzer_routing_table_version{service="experiment-analyzer"} ${table.version}\n`;
    let body = await (await fetch(metricsUrl)).text();
    while (!body.includes(gauge)) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      body = await (await fetch(metricsUrl)).text();
    }
    expect(body).toContain(
      'verdict_analyzer_decisions_total{action="ROLLBACK",applied="true",service="experiment-analyzer"} 1\n',
    );
    expect(body).toContain(
      'verdict_analyzer_experiments{state="CONCLUDED",service="experiment-analyzer"} 1\n',
    );
  }, 60_000);
});
