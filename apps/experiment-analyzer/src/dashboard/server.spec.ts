import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initDevPki, type DevPki } from '@verdict/security';
import { createLogger } from '@verdict/telemetry';
import { startDashboard, type Dashboard } from './index';
import { recordExperiment, type RecordedExperiment } from './testing/recorded-experiment';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function get(
  dashboard: Dashboard,
  path: string,
  options: {
    pki: DevPki;
    cert?: { cert: string; key: string };
    token?: string;
    cookie?: string;
    method?: string;
  },
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = httpsRequest(
      `${dashboard.url}${path}`,
      {
        method: options.method ?? 'GET',
        ca: readPem(options.pki.caCert),
        ...(options.cert
          ? { cert: readPem(options.cert.cert), key: readPem(options.cert.key) }
          : {}),
        headers: {
          ...(options.token === undefined ? {} : { authorization: options.token }),
          ...(options.cookie === undefined ? {} : { cookie: options.cookie }),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode!,
            headers: response.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    request.on('error', reject);
    request.end();
  });
}

const readPem = (path: string): Buffer => readFileSync(path);

describe('dashboard server', () => {
  let dir: string;
  let pki: DevPki;
  let otherPki: DevPki;
  let recorded: RecordedExperiment;
  let dashboard: Dashboard;
  const logger = createLogger({ service: 'dashboard-test', level: 'silent' });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-dashboard-'));
    pki = await initDevPki({ dir: join(dir, 'pki') });
    otherPki = await initDevPki({ dir: join(dir, 'other-pki') });
    recorded = await recordExperiment({ logger, requests: 1000 });
    const server = pki.services['experiment-analyzer'];
    dashboard = await startDashboard({
      port: 0,
      tls: { cert: server.cert, key: server.key, ca: pki.caCert },
      tokens: ['s3cret-token'],
      source: recorded.source,
      logger,
      timeseries: { minStepMs: recorded.windowMs },
    });
  }, 60_000);

  afterAll(async () => {
    await dashboard?.stop();
    await recorded?.close();
    await rm(dir, { recursive: true, force: true });
  }, 30_000);

  it('lets in a client certificate of the dev CA', async () => {
    const answer = await get(dashboard, '/api/experiments', { pki, cert: pki.client });
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body).experiments.map((e: { id: string }) => e.id)).toEqual([
      'exp-spam-ab',
    ]);
  });

  it('lets in a configured bearer token without a certificate', async () => {
    const answer = await get(dashboard, '/', { pki, token: 'Bearer s3cret-token' });
    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.body).toContain('<script src="/assets/list.js"');
  });

  it('signs a browser in from a ?token= link into an HttpOnly cookie, and refuses a wrong one', async () => {
    const link = await get(dashboard, '/experiments/exp-spam-ab?token=s3cret-token&points=10', {
      pki,
    });
    expect(link.status).toBe(303);
    expect(link.headers.location).toBe('/experiments/exp-spam-ab?points=10');
    const cookie = String(link.headers['set-cookie']);
    expect(cookie).toMatch(
      /^verdict_dashboard_token=s3cret-token; HttpOnly; SameSite=Strict; Path=\/; Secure/,
    );
    const page = await get(dashboard, '/experiments/exp-spam-ab', {
      pki,
      cookie: cookie.split(';')[0],
    });
    expect(page.status).toBe(200);
    const wrong = await get(dashboard, '/?token=nope', { pki });
    expect(wrong.status).toBe(401);
    const badCookie = await get(dashboard, '/', { pki, cookie: 'verdict_dashboard_token=nope' });
    expect(badCookie.status).toBe(401);
    expect(badCookie.body).toContain('unknown token in the sign-in cookie');
  });

  it.each([
    ['neither certificate nor token', {}, 'no client certificate and no Authorization header'],
    ['a wrong token', { token: 'Bearer nope' }, 'unknown token'],
    ['a token without the Bearer scheme', { token: 's3cret-token' }, 'Bearer <token>'],
  ])('answers 401 to %s', async (_name, extra, reason) => {
    const answer = await get(dashboard, '/api/experiments', { pki, ...extra });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('Bearer');
    expect(JSON.parse(answer.body).error).toContain(reason);
  });

  it('answers 401 to a certificate from another CA', async () => {
    const answer = await get(dashboard, '/api/experiments', { pki, cert: otherPki.client });
    expect(answer.status).toBe(401);
    expect(JSON.parse(answer.body).error).toContain('client certificate rejected');
  });

  it('serves results, timeseries, decisions and drift as JSON', async () => {
    const base = '/api/experiments/exp-spam-ab';
    const auth = { pki, cert: pki.client };
    const results = JSON.parse((await get(dashboard, `${base}/results`, auth)).body).results;
    expect(results.variants.map((v: { variant: string }) => v.variant)).toEqual([
      'control',
      'treatment',
    ]);
    const requests = results.variants.reduce(
      (sum: number, v: { requests: number }) => sum + v.requests,
      0,
    );
    expect(requests).toBe(recorded.counts.exposures);
    const series = JSON.parse(
      (await get(dashboard, `${base}/timeseries?points=10`, auth)).body,
    ).timeseries;
    expect(series.times.length).toBeGreaterThan(1);
    expect(series.times.length).toBeLessThanOrEqual(10);
    const last = series.variants.map(
      (v: { points: { requests: number }[] }) => v.points.at(-1)!.requests,
    );
    expect(last.reduce((a: number, b: number) => a + b, 0)).toBe(recorded.counts.exposures);
    const decisions = JSON.parse((await get(dashboard, `${base}/decisions`, auth)).body).decisions;
    expect(decisions).toHaveLength(5);
    const drift = JSON.parse((await get(dashboard, '/api/models/spam/drift', auth)).body).drift;
    expect(drift.available).toBe(true);
    expect(drift.features.map((f: { feature: string }) => f.feature).sort()).toEqual([
      'caps_ratio',
      'length',
      'links',
    ]);
  });

  it('names an unknown experiment in a 404, as JSON and as a page', async () => {
    const auth = { pki, cert: pki.client };
    const json = await get(dashboard, '/api/experiments/no-such-exp/results', auth);
    expect(json.status).toBe(404);
    expect(JSON.parse(json.body).error).toBe("experiment 'no-such-exp' not found");
    const page = await get(dashboard, '/experiments/no-such-exp', auth);
    expect(page.status).toBe(404);
    expect(page.body).toContain('experiment &#39;no-such-exp&#39; not found');
  });

  it('answers 400 naming the query parameter for bad points or times', async () => {
    const auth = { pki, cert: pki.client };
    const points = await get(
      dashboard,
      '/api/experiments/exp-spam-ab/timeseries?points=5000',
      auth,
    );
    expect(points.status).toBe(400);
    expect(JSON.parse(points.body).error).toBe(
      `query parameter 'points': expected an integer in [2, 200], got "5000"`,
    );
    const start = await get(
      dashboard,
      '/api/experiments/exp-spam-ab/results?start=yesterday',
      auth,
    );
    expect(start.status).toBe(400);
    expect(JSON.parse(start.body).error).toContain("query parameter 'start'");
  });

  it('is read-only: other methods get 405', async () => {
    const answer = await get(dashboard, '/api/experiments', {
      pki,
      cert: pki.client,
      method: 'POST',
    });
    expect(answer.status).toBe(405);
    expect(answer.headers.allow).toBe('GET, HEAD');
  });

  it('serves uPlot and its own scripts from local files', async () => {
    const auth = { pki, cert: pki.client };
    const uplot = await get(dashboard, '/assets/uPlot.iife.min.js', auth);
    expect(uplot.status).toBe(200);
    expect(uplot.body).toContain('uPlot');
    const script = await get(dashboard, '/assets/experiment.js', auth);
    expect(script.status).toBe(200);
    expect(script.headers['content-type']).toMatch(/^text\/javascript/);
    expect((await get(dashboard, '/assets/../server.ts', auth)).status).toBe(404);
  });

  it('refuses to start when nobody could get in', async () => {
    await expect(startDashboard({ port: 0, source: recorded.source, logger })).rejects.toThrow(
      'tls (client certificates) or at least one token',
    );
  });
});
