import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import fc from 'fast-check';
import {
  startFakeAnalyzerService,
  type FakeAnalyzer,
  type FakeAnalyzerService,
} from '../testing/fake-analyzer';
import { observedCounts } from './router-metrics';
import { routesCommand, type RoutesFlags } from './routes';

const TABLE = create(experimentsV1.RoutingTableSchema, {
  version: 12n,
  pools: [{ name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] }],
  models: [
    {
      model: 'spam',
      defaultVariant: { name: 'default', target: { case: 'version', value: 1n }, pool: 'default' },
      experiments: [
        {
          experimentId: 'exp-1',
          kind: experimentsV1.ExperimentKind.AB,
          enabled: true,
          salt: 's',
          variants: [
            {
              name: 'control',
              target: { case: 'version', value: 1n },
              pool: 'default',
              buckets: [{ start: 0, end: 6000 }],
              control: true,
            },
            {
              name: 'treatment',
              target: { case: 'version', value: 2n },
              pool: 'default',
              buckets: [
                { start: 6000, end: 9000 },
                { start: 9000, end: 10000 },
              ],
            },
          ],
          shadow: {
            variant: { name: 'mirror', target: { case: 'alias', value: 'next' }, pool: 'default' },
            sampleRate: 0.1,
          },
        },
      ],
    },
  ],
});

const METRICS = `# HELP verdict_router_requests_total Requests routed
# TYPE verdict_router_requests_total counter
verdict_router_requests_total{model="spam",experiment="exp-1",variant="control",code="OK",service="router"} 590
verdict_router_requests_total{model="spam",experiment="exp-1",variant="control",code="UNAVAILABLE",service="router"} 10
verdict_router_requests_total{model="spam",experiment="exp-1",variant="treatment",code="OK",service="router"} 400
verdict_router_requests_total{model="spam",experiment="",variant="",code="OK",service="router"} 250
verdict_router_request_duration_seconds_count{model="spam",experiment="exp-1",variant="control"} 600
`;

describe('verdict routes show', () => {
  let analyzer: FakeAnalyzerService;
  let pkiDir: string;
  let address: string;
  let fake: FakeAnalyzer;
  let metrics: Server;
  let metricsAddress: string;

  beforeAll(async () => {
    analyzer = await startFakeAnalyzerService();
    ({ pkiDir, address, fake } = analyzer);
    fake.table = TABLE;
    metrics = createServer((request, response) => {
      response.writeHead(request.url === '/metrics' ? 200 : 404, {
        'content-type': 'text/plain; version=0.0.4',
      });
      response.end(METRICS);
    });
    await new Promise<void>((resolve) => metrics.listen(0, '127.0.0.1', resolve));
    metricsAddress = `127.0.0.1:${(metrics.address() as AddressInfo).port}`;
  }, 30_000);

  afterAll(async () => {
    metrics?.close();
    await analyzer?.stop();
  }, 20_000);

  async function cli(args: string[], flags: RoutesFlags = {}) {
    const out = new PassThrough();
    const err = new PassThrough();
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { exitCode } = await routesCommand(
      args,
      { address, pki: pkiDir, ...flags },
      { out, err },
    );
    return { exitCode, stdout, stderr, json: () => JSON.parse(stdout) };
  }

  it('shows the analyzer table with configured shares from buckets and the observed split', async () => {
    const shown = await cli(['show'], { metrics: metricsAddress });
    expect(shown.stderr).toBe('');
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/^routing table version 12, made -\n/);
    expect(shown.stdout).toMatch(/default\s+local\s+127\.0\.0\.1:50052/);
    expect(shown.stdout).toMatch(/spam\s+\(default\)\s+default\s+v1\s+default\s+-\s+20\.0%\s+250/);
    expect(shown.stdout).toMatch(
      /spam\s+exp-1 \(ab, 100\.0% of units\)\s+control\s+v1\s+default\s+60\.0%\s+60\.0%\s+600/,
    );
    expect(shown.stdout).toMatch(
      /spam\s+exp-1 \(ab, 100\.0% of units\)\s+treatment\s+v2\s+default\s+40\.0%\s+40\.0%\s+400/,
    );
    expect(shown.stdout).toMatch(/mirror\s+@next\s+default\s+shadow 10\.0%\s+-\s+-/);
    expect(fake.calls.filter((c) => c.method === 'GetRoutingTable').length).toBeGreaterThan(0);

    const asJson = await cli(['show'], { metrics: `http://${metricsAddress}/metrics`, json: true });
    expect(asJson.json()).toMatchObject({
      table: { version: '12' },
      routes: [
        { variant: 'default', requests: 250, observedShare: 0.2 },
        { variant: 'control', configuredShare: 0.6, requests: 600, observedShare: 0.6 },
        { variant: 'treatment', configuredShare: 0.4, requests: 400, observedShare: 0.4 },
        { variant: 'mirror', shadowSampleRate: 0.1 },
      ],
    });
  });

  it('still prints the table, with a warning, when the router metrics cannot be read', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const shown = await cli(['show'], { metrics: `127.0.0.1:${port}` });
    expect(shown.exitCode).toBe(0);
    expect(shown.stderr).toBe(
      `verdict routes show: observed split unavailable (cannot read http://127.0.0.1:${port}/metrics: ECONNREFUSED)\n`,
    );
    expect(shown.stdout).toMatch(/control\s+v1\s+default\s+60\.0%\s+-\s+-/);
  });

  it('reads a static table from --file (YAML) without the analyzer', async () => {
    const file = join(analyzer.dir, 'table.yaml');
    await writeFile(
      file,
      `version: 3
pools: [{ name: default, region: eu, endpoints: ["10.0.0.1:50052"] }]
models:
  - model: mlp
    defaultVariant: { name: stable, version: "1", pool: default }
`,
    );
    const shown = await cli(['show'], { file, address: '127.0.0.1:1', metrics: metricsAddress });
    expect(shown.exitCode).toBe(0);
    expect(shown.stdout).toMatch(/^routing table version 3,/);
    expect(shown.stdout).toMatch(/mlp\s+\(default\)\s+stable\s+v1\s+default\s+-\s+-\s+0/);

    await writeFile(file, 'version: lots\n');
    const bad = await cli(['show'], { file });
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain(`${file}: version: cannot decode`);
  });

  it('exits 1 with the status name when the analyzer cannot be reached, 2 on bad usage', async () => {
    const down = await cli(['show'], { address: '127.0.0.1:1', metrics: metricsAddress });
    expect(down.exitCode).toBe(1);
    expect(down.stderr).toMatch(
      /^verdict routes show: .*\(UNAVAILABLE\): is the service running\? [^\n]*\n$/,
    );
    expect(await cli(['list'])).toMatchObject({ exitCode: 2 });
  });
});

describe('observedCounts', () => {
  it('sums verdict_router_requests_total over codes, whatever the label values hold', () => {
    const label = fc.string({ maxLength: 12 });
    fc.assert(
      fc.property(
        fc.array(fc.tuple(label, label, fc.constantFrom('OK', 'INTERNAL'), fc.nat(1000)), {
          maxLength: 8,
        }),
        (samples) => {
          const escape = (v: string) =>
            v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
          const text = samples
            .map(
              ([experiment, variant, code, n]) =>
                `verdict_router_requests_total{model="m",experiment="${escape(experiment)}",variant="${escape(variant)}",code="${code}"} ${n}`,
            )
            .join('\n');
          const expected = new Map<string, number>();
          for (const [experiment, variant, , n] of samples) {
            const key = JSON.stringify([experiment, variant]);
            expected.set(key, (expected.get(key) ?? 0) + n);
          }
          const got = new Map(
            observedCounts(text).map((c) => [
              JSON.stringify([c.experiment, c.variant]),
              c.requests,
            ]),
          );
          expect(got).toEqual(expected);
        },
      ),
    );
  });
});
