import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, type RunningService } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import type { ChildProcess } from 'node:child_process';
import { createTestPki, type TestPki } from '../../../libs/grpc-kit/src/testing/test-pki';
import { readConfig } from '../../experiment-analyzer/src/config';
import { connectExperiments } from './commands/analyzer-client';
import { demoText } from './commands/dev';
import { stackWiring } from './dev-stack';
import { demoExperiment, seedDemoExperiment } from './demo-experiment';
import { createFakeAnalyzer, type FakeAnalyzer } from './testing/fake-analyzer';

const POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

describe('the demo experiment verdict dev seeds', () => {
  it('is the A/B of spam:2 against spam:1 the issue asks for', () => {
    const e = demoExperiment();
    expect(e).toMatchObject({
      model: 'spam',
      kind: experimentsV1.ExperimentKind.AB,
      unitParameter: '',
      variants: [
        {
          name: 'control',
          target: { case: 'version', value: 1n },
          pool: 'default',
          weight: 50,
          role: experimentsV1.VariantRole.CONTROL,
        },
        {
          name: 'treatment',
          target: { case: 'version', value: 2n },
          pool: 'default',
          weight: 50,
          role: experimentsV1.VariantRole.TREATMENT,
        },
      ],
      primaryMetric: {
        name: 'correct',
        type: experimentsV1.MetricType.BINARY,
        direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
      },
      guardrails: [
        { metric: { name: 'error_rate', type: experimentsV1.MetricType.BINARY } },
        { metric: { name: 'latency', type: experimentsV1.MetricType.LATENCY, percentile: 99 } },
      ],
      policy: { method: experimentsV1.DecisionMethod.SEQUENTIAL, autoApply: true },
    });
  });

  describe('against an in-process ExperimentService', () => {
    let pki: TestPki;
    let dir: string;
    let pkiDir: string;
    let service: RunningService;
    let fake: FakeAnalyzer;

    beforeAll(async () => {
      pki = await createTestPki();
      dir = await mkdtemp(join(tmpdir(), 'verdict-cli-demo-'));
      await writeFile(join(dir, 'policy.yaml'), POLICY);
      pkiDir = join(dir, 'pki');
      const client = pki.client('tester') as { caFile: string; certFile: string; keyFile: string };
      await mkdir(pkiDir);
      await copyFile(client.caFile, join(pkiDir, 'ca.pem'));
      await copyFile(client.certFile, join(pkiDir, 'developer.pem'));
      await copyFile(client.keyFile, join(pkiDir, 'developer.key'));
      const tls = pki.server('alpha');
      fake = createFakeAnalyzer();
      service = await runService({
        name: 'experiment-analyzer',
        config: readConfig({
          VERDICT_GRPC_PORT: '0',
          VERDICT_OPS_PORT: '0',
          VERDICT_TLS_CA_FILE: tls.caFile,
          VERDICT_TLS_CERT_FILE: tls.certFile,
          VERDICT_TLS_KEY_FILE: tls.keyFile,
          VERDICT_DATA_DIR: join(dir, 'data'),
          VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
          VERDICT_LOG_LEVEL: 'silent',
        }),
        permissions: EXPERIMENTS_PERMISSIONS,
        async setup({ server }) {
          server.add(experimentsV1.ExperimentService, fake.experimentService);
          server.add(experimentsV1.RoutingService, fake.routingService);
        },
      });
    }, 30_000);

    afterAll(async () => {
      await service?.stop();
      await pki?.remove();
      await rm(dir, { recursive: true, force: true });
    }, 20_000);

    it('creates and starts it once; a second stack start leaves the existing one alone', async () => {
      const client = connectExperiments({
        address: `127.0.0.1:${service.grpcPort}`,
        pki: pkiDir,
      });
      try {
        const first = await seedDemoExperiment(client);
        expect(first.created).toBe(true);
        expect(first.experiment.state).toBe(experimentsV1.ExperimentState.RUNNING);
        const second = await seedDemoExperiment(client);
        expect(second).toMatchObject({ created: false, experiment: { id: first.experiment.id } });
        expect(fake.calls.filter((c) => c.method === 'CreateExperiment')).toHaveLength(1);
        expect(fake.calls.filter((c) => c.method === 'StartExperiment')).toHaveLength(1);

        const stackOf = (demo: typeof first) => ({
          pki: { dir: pkiDir } as never,
          services: [
            { name: 'router', grpcPort: 50051, opsPort: 9101, process: {} as ChildProcess },
            {
              name: 'experiment-analyzer',
              grpcPort: 6000,
              opsPort: 9104,
              process: {} as ChildProcess,
            },
          ],
          demo,
          dashboard: { port: 8443, token: 't0ken' },
          stop: async () => undefined,
        });
        const text = demoText(stackOf(first));
        expect(text).toContain(
          `Demo experiment ${first.experiment.id} (spam-v2-vs-v1 on spam, created now): running; control v1 50.0% | treatment v2 50.0%`,
        );
        expect(text).toContain(
          `verdict infer --pki ${pkiDir} --model spam --unit alice --text "WIN a FREE prize, click now"`,
        );
        expect(text).toContain(`verdict routes show --address 127.0.0.1:6000 --pki ${pkiDir}`);
        const viaNode = demoText(stackOf(first), 'node apps/cli/dist/main.js');
        expect(viaNode).toContain(
          `  node apps/cli/dist/main.js experiment results ${first.experiment.id}`,
        );
      } finally {
        client.close();
      }
    });
  });
});

describe('stackWiring', () => {
  it('points the router at the analyzer and the analyzer at the registry and the model server', () => {
    const ports: Record<string, number> = {
      audit: 1,
      registry: 2,
      'model-server': 3,
      'experiment-analyzer': 4,
      router: 5,
    };
    const wiring = stackWiring((name) => `127.0.0.1:${ports[name]}`, { port: 8443, token: 't' });
    expect(wiring.router).toEqual({
      VERDICT_AUDIT_ADDRESS: '127.0.0.1:1',
      VERDICT_ROUTING_ANALYZER_ADDRESS: '127.0.0.1:4',
    });
    expect(wiring['experiment-analyzer']).toEqual({
      VERDICT_AUDIT_ADDRESS: '127.0.0.1:1',
      VERDICT_REGISTRY_ADDRESS: '127.0.0.1:2',
      VERDICT_POOLS: '[{"name":"default","region":"local","endpoints":["127.0.0.1:3"]}]',
      VERDICT_DASHBOARD_ENABLED: 'true',
      VERDICT_DASHBOARD_PORT: '8443',
      VERDICT_DASHBOARD_TOKENS: 't',
      VERDICT_DRIFT_WINDOW_ROWS: '200',
    });
    expect(wiring['model-server']).toEqual({
      VERDICT_AUDIT_ADDRESS: '127.0.0.1:1',
      VERDICT_DRIFT_ANALYZER_ADDRESS: '127.0.0.1:4',
      VERDICT_DRIFT_SAMPLE_RATE: '1',
    });
  });
});
