/**
 * The dashboard in a real browser: headless Chromium (Debian's `chromium`, driven by
 * playwright-core) loads the page of a running experiment over mTLS, and the test reads back
 * what uPlot plotted. Without Chromium this test fails and says how to install it.
 *
 * The experiment is `npm run demo`'s, simulated: two minutes of traffic (10,000 requests, their
 * outcomes and shadow comparisons, stamped over two minutes of event time ending now) go through
 * the analyzer's real ingest with its production windows (one hour, ten-second fine windows) and
 * are read back by the real results reader. With `VERDICT_UPDATE_SCREENSHOT=1` the test also
 * writes its screenshot to docs/images/dashboard-demo.png, the README's picture.
 */
import { existsSync } from 'node:fs';
import { copyFile, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PNG } from 'pngjs';
import { initDevPki, type DevPki } from '@verdict/security';
import { createLogger } from '@verdict/telemetry';
import { startDashboard, type Dashboard } from './index';
import { recordExperiment, type RecordedExperiment } from './testing/recorded-experiment';

const CHROMIUM = process.env.VERDICT_CHROMIUM ?? '/usr/bin/chromium';
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
/** The README's screenshot, rewritten when VERDICT_UPDATE_SCREENSHOT=1. */
const DOCS_SCREENSHOT = resolve(__dirname, '../../../../docs/images/dashboard-demo.png');

/** What a uPlot chart holds: series labels and their values (x first). */
/** Waits until the page has completed `count` refreshes of its data. */
async function waitForUpdates(page: Page, count: number): Promise<void> {
  await page.waitForFunction(
    (n) =>
      (globalThis as unknown as { verdictDashboard?: { updates: number } }).verdictDashboard!
        .updates >= n,
    count,
    { timeout: 20_000 },
  );
}

interface PlottedChart {
  labels: string[];
  data: (number | null)[][];
}

describe('dashboard in headless Chromium', () => {
  let dir: string;
  let pki: DevPki;
  let recorded: RecordedExperiment;
  let dashboard: Dashboard;
  let browser: Browser;
  const logger = createLogger({ service: 'dashboard-browser-test', level: 'silent' });

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `Chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or point ` +
          'VERDICT_CHROMIUM at a Chromium binary; the dashboard test needs a real browser',
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'verdict-dashboard-browser-'));
    pki = await initDevPki({ dir: join(dir, 'pki') });
    recorded = await recordExperiment({
      logger,
      requests: 10_000,
      durationMs: 2 * MINUTE,
      windowMs: HOUR,
      driftWindowMs: 10 * SECOND,
    });
    const server = pki.services['experiment-analyzer'];
    dashboard = await startDashboard({
      port: 0,
      tls: { cert: server.cert, key: server.key, ca: pki.caCert },
      tokens: ['browser-token'],
      source: recorded.source,
      logger,
      timeseries: { minStepMs: recorded.windowMs },
      pollMs: 500,
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await dashboard?.stop();
    await recorded?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 30_000);

  async function certificateContext() {
    return browser.newContext({
      // The dev CA is not in the browser's trust store; the client certificate is what is tested.
      ignoreHTTPSErrors: true,
      viewport: { width: 1280, height: 900 },
      clientCertificates: [
        { origin: dashboard.url, certPath: pki.client.cert, keyPath: pki.client.key },
      ],
    });
  }

  it('plots a two-minute demo at ten-second points for every variant, with latency in ms, updates live, and renders a non-blank page', async () => {
    const context = await certificateContext();
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const response = await page.goto(`${dashboard.url}/experiments/exp-spam-ab`);
    expect(response?.status()).toBe(200);
    // Two completed refreshes: the first load and one live update.
    await waitForUpdates(page, 2);
    const charts = await page.evaluate(() => {
      const state = (
        globalThis as unknown as {
          verdictDashboard: {
            charts: Record<string, { series: { label: string }[]; data: (number | null)[][] }>;
          };
        }
      ).verdictDashboard;
      const out: Record<string, { labels: string[]; data: (number | null)[][] }> = {};
      for (const [name, chart] of Object.entries(state.charts)) {
        out[name] = {
          labels: chart.series.map((s) => s.label),
          data: chart.data.map((d) => Array.from(d)),
        };
      }
      return out;
    });
    expect(Object.keys(charts).sort()).toEqual([
      'plot-drift',
      'plot-primary',
      'plot-shadow',
      'plot-split',
    ]);
    const pointsOf = (chart: PlottedChart, label: string) => {
      const index = chart.labels.indexOf(label);
      expect(index).toBeGreaterThan(0);
      return chart.data[index].filter((v) => v !== null && Number.isFinite(v)).length;
    };
    for (const variant of ['control', 'treatment']) {
      expect(pointsOf(charts['plot-split'], variant)).toBeGreaterThanOrEqual(10);
      expect(pointsOf(charts['plot-primary'], variant)).toBeGreaterThanOrEqual(10);
      expect(pointsOf(charts['plot-primary'], `${variant} upper`)).toBeGreaterThanOrEqual(10);
      expect(pointsOf(charts['plot-primary'], `${variant} lower`)).toBeGreaterThanOrEqual(10);
    }
    expect(pointsOf(charts['plot-shadow'], 'shadow')).toBeGreaterThanOrEqual(10);
    for (const feature of ['length', 'links', 'caps_ratio']) {
      expect(pointsOf(charts['plot-drift'], feature)).toBeGreaterThanOrEqual(10);
    }
    // The treatment (90% correct) is plotted above the control (85%) at the last point.
    const primary = charts['plot-primary'];
    const lastOf = (label: string) => primary.data[primary.labels.indexOf(label)].at(-1)!;
    expect(lastOf('treatment')!).toBeGreaterThan(lastOf('control')!);

    // The series answers at the ingest's fine resolution, not one point per hour window.
    const stepMs = await page.evaluate(
      () =>
        (globalThis as unknown as { verdictDashboard: { timeseries: { stepMs: number } } })
          .verdictDashboard.timeseries.stepMs,
    );
    expect(stepMs).toBe(10 * SECOND);

    expect(await page.locator('#decisions tbody tr').count()).toBe(5);
    expect(await page.locator('#guardrails tbody tr').count()).toBe(2);
    // Latency p99 (kept in µs) is written in milliseconds, in the guardrails and shadow tables.
    const latencyRow = page.locator('#guardrails tbody tr', { hasText: 'latency p99' });
    const latencyCells = await latencyRow.locator('td').allTextContents();
    expect(latencyCells[1]).toMatch(/^\d[\d,.]* ms$/);
    expect(latencyCells[2]).toMatch(/^\d[\d,.]* ms$/);
    expect(await page.locator('#shadows tbody td').nth(4).textContent()).toMatch(/ ms \[/);
    expect(await page.locator('main').textContent()).not.toMatch(/\de[+-]\d/);
    expect(await page.locator('#drift-summary').textContent()).toContain('drifted: length');

    const screenshot = join(dir, 'experiment.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    if (process.env.VERDICT_UPDATE_SCREENSHOT === '1') await copyFile(screenshot, DOCS_SCREENSHOT);
    const png = PNG.sync.read(await readFile(screenshot));
    const colours = new Set<number>();
    for (let i = 0; i < png.data.length; i += 4) {
      colours.add(png.data.readUInt32BE(i));
    }
    // A blank or unstyled page has a handful of colours; plots with bands and text have hundreds.
    expect(png.height).toBeGreaterThan(900);
    expect(colours.size).toBeGreaterThan(200);
    expect(pageErrors).toEqual([]);
    expect(
      await page.evaluate(
        () =>
          (globalThis as unknown as { verdictDashboard: { failures: string[] } }).verdictDashboard
            .failures,
      ),
    ).toEqual([]);
    await context.close();
  }, 60_000);

  it('gives a young experiment with one point so far an axis of minutes, not years', async () => {
    const context = await certificateContext();
    const page = await context.newPage();
    await page.goto(`${dashboard.url}/experiments/exp-spam-ab`);
    await waitForUpdates(page, 1);
    // The page's own chart helper, fed what a first window gives: one time, one value.
    const span = await page.evaluate(async () => {
      const w = globalThis as unknown as {
        verdictCharts: {
          create(state: object): {
            chart(name: string, times: number[], series: object[], options: object): void;
          };
        };
      };
      const state = {
        charts: {} as Record<string, { scales: { x: { min: number; max: number } } }>,
        plotted: {},
      };
      const doc = (
        globalThis as unknown as {
          document: {
            createElement(tag: string): { id: string };
            body: { append(node: unknown): void };
          };
        }
      ).document;
      const container = doc.createElement('div');
      container.id = 'plot-young';
      doc.body.append(container);
      w.verdictCharts
        .create(state)
        .chart(
          'plot-young',
          [Date.parse('2026-11-30T12:00:00Z')],
          [{ label: 'control', values: [0.5], colour: '#1f77b4' }],
          {},
        );
      // uPlot settles its scales after the current task.
      await new Promise((resolve) => setTimeout(resolve, 50));
      const x = state.charts['plot-young'].scales.x;
      return x.max - x.min;
    });
    // Seconds: the point sits in the middle of a few minutes either side.
    expect(span).toBeGreaterThan(0);
    expect(span).toBeLessThanOrEqual(3600);
    await context.close();
  }, 60_000);

  it('keeps drawing the other parts when one endpoint fails, and names the failure', async () => {
    const failing = await startDashboard({
      port: 0,
      tokens: ['browser-token'],
      source: {
        ...recorded.source,
        drift: async () => {
          throw new Error('drift store down');
        },
      },
      logger,
      timeseries: { minStepMs: recorded.windowMs },
    });
    const context = await browser.newContext({
      extraHTTPHeaders: { authorization: 'Bearer browser-token' },
    });
    try {
      const page = await context.newPage();
      await page.goto(`${failing.url}/experiments/exp-spam-ab`);
      await waitForUpdates(page, 1);
      const state = await page.evaluate(() => {
        const dashboard = (
          globalThis as unknown as {
            verdictDashboard: { failures: string[]; charts: Record<string, unknown> };
          }
        ).verdictDashboard;
        return { failures: dashboard.failures, charts: Object.keys(dashboard.charts).sort() };
      });
      expect(state.failures).toHaveLength(1);
      expect(state.failures[0]).toMatch(/^drift: internal error \(correlation id [0-9a-f-]+\)$/);
      expect(state.charts).toEqual(['plot-primary', 'plot-shadow', 'plot-split']);
      expect(await page.locator('#status').textContent()).toContain(
        'failed: drift: internal error',
      );
    } finally {
      await context.close();
      await failing.stop();
    }
  }, 30_000);

  it('refuses a browser with neither certificate nor token (401), and lets a token in', async () => {
    const bare = await browser.newContext({ ignoreHTTPSErrors: true });
    const refused = await (await bare.newPage()).goto(`${dashboard.url}/`);
    expect(refused?.status()).toBe(401);
    await bare.close();
    const withToken = await browser.newContext({
      ignoreHTTPSErrors: true,
      extraHTTPHeaders: { authorization: 'Bearer browser-token' },
    });
    const page = await withToken.newPage();
    expect((await page.goto(`${dashboard.url}/`))?.status()).toBe(200);
    await waitForUpdates(page, 1);
    expect(await page.locator('#experiments tbody a').allTextContents()).toEqual(['spam v1 vs v2']);
    await withToken.close();
  }, 30_000);

  it('shows a 404 page naming an unknown experiment', async () => {
    const context = await certificateContext();
    const page = await context.newPage();
    const response = await page.goto(`${dashboard.url}/experiments/exp-missing`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('[role=alert]').textContent()).toBe(
      "experiment 'exp-missing' not found",
    );
    await context.close();
  }, 30_000);
});
