/**
 * Measures how long the experiment page takes from navigation to every table and chart drawn,
 * in headless Chromium, for an experiment whose events went through the real ingest. For a
 * bench script (timings have no place in tests):
 *
 *   const report = await measurePageLoad({ requests: 4_600_000, logger });
 *   console.log(JSON.stringify({ bench: 'dashboard', ...report }));
 */
import { chromium } from 'playwright-core';
import type { Logger } from '@verdict/telemetry';
import { startDashboard } from '../server';
import { recordExperiment } from './recorded-experiment';

/** Options of {@link measurePageLoad}. */
export interface MeasurePageLoadOptions {
  /** Requests routed (each with an outcome, a fifth with a shadow comparison). @default 200000 */
  readonly requests?: number;
  /** Life of the experiment. @default one week */
  readonly durationMs?: number;
  /** Statistics window. @default one hour */
  readonly windowMs?: number;
  /** Fresh dashboards (empty caches), each loaded cold then warm. @default 4 */
  readonly rounds?: number;
  /** @default '/usr/bin/chromium' */
  readonly chromiumPath?: string;
  readonly logger: Logger;
}

export interface PageLoadReport {
  readonly events: number;
  readonly windows: number;
  /** Navigation to everything drawn, per round, in ms: empty caches and a new browser context. */
  readonly cold_ms: number[];
  /** The same page again in the same context, caches warm. */
  readonly warm_ms: number[];
}

export async function measurePageLoad(options: MeasurePageLoadOptions): Promise<PageLoadReport> {
  const windowMs = options.windowMs ?? 3_600_000;
  const durationMs = options.durationMs ?? 7 * 86_400_000;
  const recorded = await recordExperiment({
    logger: options.logger,
    requests: options.requests ?? 200_000,
    durationMs,
    windowMs,
  });
  const browser = await chromium.launch({
    executablePath: options.chromiumPath ?? '/usr/bin/chromium',
    headless: true,
  });
  const cold: number[] = [];
  const warm: number[] = [];
  try {
    for (let round = 0; round < (options.rounds ?? 4); round++) {
      const dashboard = await startDashboard({
        port: 0,
        tokens: ['measure'],
        source: recorded.source,
        logger: options.logger,
        timeseries: { minStepMs: windowMs },
      });
      const context = await browser.newContext({
        extraHTTPHeaders: { authorization: 'Bearer measure' },
        viewport: { width: 1280, height: 900 },
      });
      try {
        for (const times of [cold, warm]) {
          const page = await context.newPage();
          const started = performance.now();
          await page.goto(`${dashboard.url}/experiments/${recorded.experiment.id}`);
          await page.waitForFunction(
            () =>
              (globalThis as unknown as { verdictDashboard?: { updates: number } })
                .verdictDashboard!.updates > 0,
            undefined,
            { timeout: 120_000 },
          );
          times.push(Math.round(performance.now() - started));
          await page.close();
        }
      } finally {
        await context.close();
        await dashboard.stop();
      }
    }
  } finally {
    await browser.close();
  }
  const { exposures, outcomes, shadowComparisons } = recorded.counts;
  await recorded.close();
  return {
    events: exposures + outcomes + shadowComparisons,
    windows: Math.ceil(durationMs / windowMs),
    cold_ms: cold,
    warm_ms: warm,
  };
}
