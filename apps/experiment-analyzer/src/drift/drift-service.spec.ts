import { create } from '@bufbuild/protobuf';
import { createMemoryAuditSink } from '@verdict/audit-client';
import { Code } from '@verdict/errors';
import type { CallContext } from '@verdict/grpc-kit';
import { driftV1 } from '@verdict/proto';
import { createMemoryStore } from '@verdict/store';
import { createRandom } from '@verdict/stats';
import { Registry } from '@verdict/telemetry';
import fc from 'fast-check';
import { createDriftService, type DriftService } from './drift-service';
import { buildReferenceProfile } from '@verdict/drift';
import type { DriftAlert } from '@verdict/drift';

const context = {} as CallContext;
const silent = { info: () => undefined, warn: () => undefined, error: () => undefined };

function rows(seed: number, count: number, shift = 0): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => [random.normal() + shift, random.uniform()]);
}

const profile = buildReferenceProfile({
  model: 'spam',
  version: '1',
  input: 'features',
  source: 'test',
  rows: rows(1, 5_000),
});

function setup() {
  const store = createMemoryStore();
  const audit = createMemoryAuditSink();
  const fired: DriftAlert[] = [];
  const metrics = new Registry();
  const service: DriftService = createDriftService({
    store,
    audit,
    actor: 'spiffe://verdict.local/ns/default/sa/experiment-analyzer',
    metrics,
    logger: silent,
    triggers: [{ name: 'test', trigger: { fire: async (alert) => void fired.push(alert) } }],
    settings: { windowRows: 200, stepRows: 200, persistWindows: 2 },
  });
  return { store, audit, fired, metrics, service, impl: service.impl };
}

const samples = (data: number[][], version = '1') =>
  create(driftV1.RecordInputSamplesRequestSchema, {
    samples: data.map((values) => ({ model: 'spam', version, input: 'features', values })),
  });

describe('DriftService', () => {
  it('stores a profile once: the same again is fine, a different one is ALREADY_EXISTS', async () => {
    const { impl, audit } = setup();
    const put = await impl.putReferenceProfile(
      create(driftV1.PutReferenceProfileRequestSchema, { profile }),
      context,
    );
    expect(put.sha256).toMatch(/^[0-9a-f]{64}$/);
    await expect(
      impl.putReferenceProfile(
        create(driftV1.PutReferenceProfileRequestSchema, { profile }),
        context,
      ),
    ).resolves.toBeDefined();
    const other = { ...profile, rows: profile.rows + 1n };
    await expect(
      impl.putReferenceProfile(
        create(driftV1.PutReferenceProfileRequestSchema, { profile: other }),
        context,
      ),
    ).rejects.toMatchObject({ code: Code.ALREADY_EXISTS });
    const got = await impl.getReferenceProfile(
      create(driftV1.GetReferenceProfileRequestSchema, { model: 'spam', version: '1' }),
      context,
    );
    expect(got.profile?.rows).toBe(profile.rows);
    expect(audit.records.map((record) => record.action)).toEqual(['drift.profile.put']);
  });

  it('refuses a malformed profile naming the field and stores nothing', async () => {
    const broken = fc.oneof(
      fc.constant({ ...profile, model: '' }),
      fc.constant({ ...profile, features: [] }),
      fc.integer({ min: 0, max: profile.features.length - 1 }).map((i) => ({
        ...profile,
        features: profile.features.map((f, j) => (j === i ? { ...f, sample: [1] } : f)),
      })),
      fc.integer({ min: 0, max: profile.features.length - 1 }).map((i) => ({
        ...profile,
        features: profile.features.map((f, j) => (j === i ? { ...f, input: 'other' } : f)),
      })),
    );
    await fc.assert(
      fc.asyncProperty(broken, async (bad) => {
        const { impl, store } = setup();
        const request = create(driftV1.PutReferenceProfileRequestSchema, {
          profile: bad as driftV1.ReferenceProfile,
        });
        await expect(impl.putReferenceProfile(request, context)).rejects.toMatchObject({
          code: Code.INVALID_ARGUMENT,
          message: expect.stringMatching(/profile\.(model|features)/),
        });
        expect(await store.scan('')).toEqual([]);
      }),
      { numRuns: 30 },
    );
  });

  it('counts samples of versions without a profile and drops a batch with one bad row whole', async () => {
    const { impl } = setup();
    await impl.putReferenceProfile(
      create(driftV1.PutReferenceProfileRequestSchema, { profile }),
      context,
    );
    const unmonitored = await impl.recordInputSamples(samples(rows(2, 3), '9'), context);
    expect(unmonitored).toMatchObject({ acceptedCount: 0n, unmonitoredCount: 3n });
    const bad = samples([...rows(3, 5), [Number.NaN, 0.5]]);
    await expect(impl.recordInputSamples(bad, context)).rejects.toMatchObject({
      code: Code.INVALID_ARGUMENT,
      message: expect.stringContaining('samples[5]'),
    });
    const status = (await impl.getDriftStatus(
      create(driftV1.GetDriftStatusRequestSchema, { model: 'spam', version: '1' }),
      context,
    )) as driftV1.GetDriftStatusResponse;
    expect(status.pendingRows).toBe(0n);
  });

  it('turns persistent drift into one stored, audited, delivered alert and reports the windows', async () => {
    const { impl, audit, fired, metrics, service } = setup();
    await impl.putReferenceProfile(
      create(driftV1.PutReferenceProfileRequestSchema, { profile }),
      context,
    );
    await impl.recordInputSamples(samples(rows(4, 400)), context);
    await impl.recordInputSamples(samples(rows(5, 600, 0.5)), context);
    await service.settled();
    const status = (await impl.getDriftStatus(
      create(driftV1.GetDriftStatusRequestSchema, { model: 'spam', version: '1' }),
      context,
    )) as driftV1.GetDriftStatusResponse;
    expect(status.windows.map((window) => window.drifted)).toEqual([
      false,
      false,
      true,
      true,
      true,
    ]);
    expect(status.profileSummary?.features.every((feature) => feature.sample.length === 0)).toBe(
      true,
    );
    const listed = (await impl.listDriftAlerts(
      create(driftV1.ListDriftAlertsRequestSchema, { model: 'spam' }),
      context,
    )) as driftV1.ListDriftAlertsResponse;
    expect(listed.alerts).toHaveLength(1);
    expect(listed.alerts[0]).toMatchObject({ model: 'spam', version: '1', deliveredTo: ['test'] });
    expect(listed.alerts[0].features.map((feature) => feature.feature)).toEqual(['features[0]']);
    expect(fired.map((alert) => alert.id)).toEqual([listed.alerts[0].id]);
    expect(audit.records.map((record) => record.action)).toContain('drift.alert');
    expect(await metrics.getSingleMetricAsString('verdict_drift_alerts_total')).toContain(
      'model="spam",version="1"} 1',
    );
    expect(service.series('spam').filter((point) => point.feature === 'features[0]')).toHaveLength(
      5,
    );
  });
});
