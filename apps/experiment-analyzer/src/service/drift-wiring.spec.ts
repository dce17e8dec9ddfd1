import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { createServer, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { buildReferenceProfile, verifyWebhookSignature } from '@verdict/drift';
import { createClient, type MutualTlsFiles } from '@verdict/grpc-kit';
import { driftV1 } from '@verdict/proto';
import { createRandom } from '@verdict/stats';
import { freePort } from '@verdict/process';
import { startAnalyzerFixture, type AnalyzerFixture } from '../testing/analyzer-fixture';

const SECRET = 'a-webhook-secret-for-tests';
const TOKEN = 'dashboard-token-for-tests';

function rows(seed: number, count: number, shift = 0): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () => [random.normal() + shift, random.normal()]);
}

async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

/** GET over HTTPS with the fixture's CA and a bearer token. */
function getJson(url: string, ca: string): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      url,
      { ca: readFileSync(ca), headers: { authorization: `Bearer ${TOKEN}` } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => (text += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

/**
 * The analyzer as main.ts wires it: DriftService over mTLS, alerts delivered to a real
 * webhook with a valid signature, and the dashboard serving the drift series.
 */
describe('analyzer drift detection and dashboard', () => {
  let analyzer: AnalyzerFixture;
  const deliveries: Array<{
    valid: boolean;
    body: { model: string; features: { name: string }[] };
  }> = [];
  const webhook = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      deliveries.push({
        valid: verifyWebhookSignature(
          SECRET,
          String(req.headers['x-verdict-timestamp']),
          body,
          String(req.headers['x-verdict-signature']),
        ),
        body: JSON.parse(body),
      });
      res.writeHead(204).end();
    });
  });
  let dashboardPort: number;
  let secrets: string;

  beforeAll(async () => {
    await new Promise<void>((resolve) => webhook.listen(0, '127.0.0.1', resolve));
    dashboardPort = await freePort();
    secrets = await mkdtemp(join(tmpdir(), 'verdict-drift-secret-'));
    const secretFile = join(secrets, 'webhook-secret');
    await writeFile(secretFile, SECRET);
    analyzer = await startAnalyzerFixture({
      env: {
        VERDICT_DRIFT_WINDOW_ROWS: '100',
        VERDICT_DRIFT_PERSIST_WINDOWS: '2',
        VERDICT_DRIFT_WEBHOOK_URL: `http://127.0.0.1:${(webhook.address() as AddressInfo).port}/retrain`,
        VERDICT_DRIFT_WEBHOOK_SECRET_FILE: secretFile,
        VERDICT_DASHBOARD_ENABLED: 'true',
        VERDICT_DASHBOARD_PORT: String(dashboardPort),
        VERDICT_DASHBOARD_TOKENS: TOKEN,
      },
    });
  }, 60_000);
  afterAll(async () => {
    await analyzer?.stop();
    webhook.close();
    await rm(secrets, { recursive: true, force: true });
  });

  it('raises one signed alert for a shifted input and shows the drift on the dashboard', async () => {
    const drift = createClient(driftV1.DriftService, {
      address: analyzer.address,
      transport: analyzer.pki.client('tester'),
    });
    try {
      const profile = buildReferenceProfile({
        model: 'mlp',
        version: '1',
        input: 'input',
        source: 'test',
        rows: rows(1, 3_000),
      });
      await drift.putReferenceProfile({ profile });
      const send = (data: number[][]) =>
        drift.recordInputSamples({
          samples: data.map((values) => ({ model: 'mlp', version: '1', input: 'input', values })),
        });
      expect((await send(rows(2, 100))).acceptedCount).toBe(100n);
      await send(rows(3, 300, 0.8));
      await eventually(() => deliveries.length === 1);
      const { alerts } = await drift.listDriftAlerts({ model: 'mlp' });
      expect(alerts).toHaveLength(1);
      expect(deliveries[0].valid).toBe(true);
      expect(deliveries[0].body.features.map((f) => f.name)).toEqual(['input[0]']);
      expect(analyzer.audit.records.map((r) => r.action)).toEqual(
        expect.arrayContaining(['drift.profile.put', 'drift.alert']),
      );
      const { status, body } = await getJson(
        `https://127.0.0.1:${dashboardPort}/api/models/mlp/drift`,
        (analyzer.pki.client('tester') as MutualTlsFiles).caFile,
      );
      expect(status).toBe(200);
      expect(JSON.stringify(body)).toContain('input[0]');
    } finally {
      drift.close();
    }
  }, 60_000);
});
