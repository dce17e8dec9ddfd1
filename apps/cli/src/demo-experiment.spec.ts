import type { ChildProcess } from 'node:child_process';
import { experimentsV1 } from '@verdict/proto';
import { connectExperiments } from './commands/analyzer-client';
import { demoText } from './commands/dev';
import { stackWiring } from './dev-stack';
import { demoExperiment, seedDemoExperiment } from './demo-experiment';
import {
  startFakeAnalyzerService,
  type FakeAnalyzer,
  type FakeAnalyzerService,
} from './testing/fake-analyzer';

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
    let analyzer: FakeAnalyzerService;
    let pkiDir: string;
    let fake: FakeAnalyzer;

    beforeAll(async () => {
      analyzer = await startFakeAnalyzerService();
      ({ pkiDir, fake } = analyzer);
    }, 30_000);

    afterAll(() => analyzer?.stop(), 20_000);

    it('creates and starts it once; a second stack start leaves the existing one alone', async () => {
      const client = connectExperiments({
        address: analyzer.address,
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
