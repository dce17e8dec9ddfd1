import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { createMemoryAuditSink, type MemoryAuditSink } from '@verdict/audit-client';
import { createClient, runService, type RunningService } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { createTestPki, type TestPki } from '@verdict/grpc-kit/testing';
import { readConfig } from '../config';
import { setupAnalyzer, type StatsModules } from '../service';
import { STATS_MODULES } from '../service/stats-modules';

const { ExperimentKind, VariantRole, MetricType, MetricDirection } = experimentsV1;

/**
 * Principals of the test policy: `tester` may do anything, `writer-b` writes team-b only,
 * `writer-ab` writes team-a and team-b.
 */
export const TEST_POLICY = `
roles:
  admin: ['*']
  writer: [experiment:read, experiment:write]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
  - principals: ['spiffe://verdict.local/ns/default/sa/writer-b']
    roles: [writer]
    teams: [team-b]
  - principals: ['spiffe://verdict.local/ns/default/sa/writer-ab']
    roles: [writer]
    teams: [team-a, team-b]
`;

/** An analyzer in this process over real mutual TLS, with an in-memory audit sink. */
export interface AnalyzerFixture {
  readonly pki: TestPki;
  readonly dir: string;
  readonly service: RunningService;
  readonly address: string;
  readonly audit: MemoryAuditSink;
  experiments(
    as?: string,
  ): Promise<ReturnType<typeof createClient<typeof experimentsV1.ExperimentService.method>>>;
  routing(): ReturnType<typeof createClient<typeof experimentsV1.RoutingService.method>>;
  ingest(): ReturnType<typeof createClient<typeof experimentsV1.IngestService.method>>;
  stop(): Promise<void>;
}

/** Starts the analyzer as `main.ts` would, on port 0. */
export async function startAnalyzerFixture(
  options: { env?: Record<string, string>; stats?: StatsModules; now?: () => Date } = {},
): Promise<AnalyzerFixture> {
  const pki = await createTestPki();
  const dir = await mkdtemp(join(tmpdir(), 'verdict-analyzer-'));
  await writeFile(join(dir, 'policy.yaml'), TEST_POLICY);
  const tls = pki.server('alpha');
  const config = readConfig({
    VERDICT_GRPC_PORT: '0',
    VERDICT_OPS_PORT: '0',
    VERDICT_TLS_CA_FILE: tls.caFile,
    VERDICT_TLS_CERT_FILE: tls.certFile,
    VERDICT_TLS_KEY_FILE: tls.keyFile,
    VERDICT_DATA_DIR: dir,
    VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
    VERDICT_LOG_LEVEL: 'silent',
    VERDICT_POOLS: JSON.stringify([
      { name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] },
      { name: 'eu', region: 'eu-west', endpoints: ['10.0.0.1:50052', '10.0.0.2:50052'] },
    ]),
    ...options.env,
  });
  const audit = createMemoryAuditSink();
  const service = await runService({
    name: 'experiment-analyzer',
    config,
    permissions: EXPERIMENTS_PERMISSIONS,
    auditSink: audit,
    setup: (context) =>
      setupAnalyzer(context, {
        stats: options.stats ?? STATS_MODULES,
        ...(options.now === undefined ? {} : { now: options.now }),
      }),
  });
  const address = `127.0.0.1:${service.grpcPort}`;
  const clients: { close(): void }[] = [];
  const track = <T extends { close(): void }>(client: T) => {
    clients.push(client);
    return client;
  };
  return {
    pki,
    dir,
    service,
    address,
    audit,
    async experiments(as = 'tester') {
      const transport = as === 'tester' ? pki.client('tester') : await pki.issueClient(as);
      return track(createClient(experimentsV1.ExperimentService, { address, transport }));
    },
    routing: () =>
      track(
        createClient(experimentsV1.RoutingService, { address, transport: pki.client('tester') }),
      ),
    ingest: () =>
      track(
        createClient(experimentsV1.IngestService, { address, transport: pki.client('tester') }),
      ),
    async stop() {
      for (const client of clients) client.close();
      await service.stop();
      await pki.remove();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A valid A/B definition on `spam`: spam:1 control, spam:2 treatment, 50/50. */
export function spamAb(
  init: Omit<MessageInitShape<typeof experimentsV1.ExperimentSchema>, '$typeName'> = {},
): experimentsV1.Experiment {
  return create(experimentsV1.ExperimentSchema, {
    name: 'spam-ab',
    model: 'spam',
    kind: ExperimentKind.AB,
    variants: [
      {
        name: 'control',
        target: { case: 'version', value: 1n },
        pool: 'default',
        weight: 50,
        role: VariantRole.CONTROL,
      },
      {
        name: 'treatment',
        target: { case: 'version', value: 2n },
        pool: 'default',
        weight: 50,
        role: VariantRole.TREATMENT,
      },
    ],
    unitType: 'user',
    primaryMetric: {
      name: 'correct',
      type: MetricType.BINARY,
      direction: MetricDirection.HIGHER_IS_BETTER,
    },
    guardrails: [
      {
        metric: {
          name: 'error_rate',
          type: MetricType.BINARY,
          direction: MetricDirection.LOWER_IS_BETTER,
        },
        maxDegradation: 0.01,
      },
    ],
    policy: { interval: durationFromMs(60_000), alpha: 0.05 },
    ...init,
  });
}
