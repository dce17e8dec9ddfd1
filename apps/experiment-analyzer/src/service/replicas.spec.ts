import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { status } from '@grpc/grpc-js';
import { experimentsV1 } from '@verdict/proto';
import { startRedisServer, type RedisServer } from '@verdict/store';
import { spamAb, startAnalyzerFixture, type AnalyzerFixture } from '../testing/analyzer-fixture';

describe('two analyzer replicas sharing a real Redis', () => {
  let redis: RedisServer;
  let a: AnalyzerFixture;
  let b: AnalyzerFixture;

  beforeAll(async () => {
    redis = await startRedisServer();
    const env = { VERDICT_STORE_BACKEND: 'redis', VERDICT_STORE_REDIS_URL: redis.url };
    a = await startAnalyzerFixture({ env });
    b = await startAnalyzerFixture({ env });
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await redis?.stop();
  }, 30_000);

  it('agree on experiments and table versions: a change on one reaches watchers of the other', async () => {
    const routingB = b.routing();
    const start = (await routingB.getRoutingTable({})).table!;
    expect((await a.routing().getRoutingTable({})).table!.version).toBe(start.version);
    const controller = new AbortController();
    const seen: experimentsV1.RoutingTable[] = [];
    const watching = (async () => {
      for await (const message of routingB.watchRoutingTable(
        { afterVersion: start.version },
        { signal: controller.signal },
      )) {
        seen.push(message.table!);
      }
    })().catch((error: { code?: number }) => {
      if (error.code !== status.CANCELLED) throw error;
    });

    const clientA = await a.experiments();
    const { experiment } = await clientA.createExperiment({
      experiment: spamAb({ name: 'shared' }),
    });
    const id = experiment!.id;
    await clientA.startExperiment({ id });
    while (seen.length === 0 || seen.at(-1)!.version < start.version + 2n) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    controller.abort();
    await watching;
    const last = seen.at(-1)!;
    expect(last.models[0]!.experiments[0]).toMatchObject({ experimentId: id, enabled: true });

    // Replica B serves the experiment, and its ingest knows it (its cache follows the tables).
    const clientB = await b.experiments();
    expect((await clientB.getExperiment({ id })).experiment!.state).toBe(
      experimentsV1.ExperimentState.RUNNING,
    );
    // B's cache follows the table versions asynchronously: an event it does not know yet is
    // ignored (not counted), so send fresh events until one is accepted.
    const ingestB = b.ingest();
    let accepted = 0n;
    for (let attempt = 0; accepted === 0n; attempt++) {
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20));
      const response = await ingestB.recordExposures({
        events: [
          create(experimentsV1.ExposureEventSchema, {
            eventId: `replica-event-${attempt}`,
            experimentId: id,
            variant: 'treatment',
            unitId: 'u1',
            requestId: `r${attempt}`,
            model: 'spam',
            time: timestampNow(),
          }),
        ],
      });
      accepted = response.acceptedCount;
    }
    const results = await clientA.getResults({ experimentId: id });
    expect(results.results!.variants.find((v) => v.variant === 'treatment')!.units).toBe(1n);

    // Concurrent changes on both replicas each get their own table version.
    const other = await clientB.createExperiment({
      experiment: spamAb({ name: 'other', model: 'other' }),
    });
    await Promise.all([
      clientA.pauseExperiment({ id }),
      clientB.startExperiment({ id: other.experiment!.id }),
    ]);
    const final = (await a.routing().getRoutingTable({})).table!;
    expect(final.version).toBe(last.version + 3n);
    expect(final.models.map((m) => [m.model, m.experiments[0]!.enabled])).toEqual([
      ['other', true],
      ['spam', false],
    ]);
  }, 60_000);
});
