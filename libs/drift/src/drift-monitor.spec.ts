import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Code } from '@verdict/errors';
import { createRandom, type Random } from '@verdict/stats';
import { createDriftMonitor, type DriftAlert } from './drift-monitor';
import { buildReferenceProfile } from './reference-profile';
import {
  DELIVERY_HEADER,
  SIGNATURE_HEADER,
  TIMESTAMP_HEADER,
  createWebhookTrigger,
  verifyWebhookSignature,
} from './retraining-trigger';

const LINKS_SD = 2;
const WINDOW = 1000;

/** Rows of a 3-column input, with `shift` standard deviations added to column 1 ("links"). */
function rows(random: Random, count: number, shift = 0): number[][] {
  return Array.from({ length: count }, () => [
    random.normal(),
    5 + LINKS_SD * (random.normal() + shift),
    random.uniform() * 10,
  ]);
}

const profile = buildReferenceProfile({
  model: 'spam',
  version: '1',
  input: 'features',
  source: 'test',
  rows: rows(createRandom(7), 20_000),
});

/** A real HTTP receiver that checks signatures; answers 500 to the first `failFirst` deliveries. */
async function startWebhook(secret: string, failFirst = 0) {
  const deliveries: Array<{ id: string; valid: boolean; body: { features: { name: string }[] } }> =
    [];
  let attempts = 0;
  const server: Server = createServer((request: IncomingMessage, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      attempts++;
      if (attempts <= failFirst) {
        response.writeHead(500).end();
        return;
      }
      deliveries.push({
        id: String(request.headers[DELIVERY_HEADER]),
        valid: verifyWebhookSignature(
          secret,
          String(request.headers[TIMESTAMP_HEADER]),
          body,
          String(request.headers[SIGNATURE_HEADER]),
        ),
        body: JSON.parse(body),
      });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/retrain`,
    deliveries,
    attempts: () => attempts,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('drift monitor', () => {
  it('raises no alert over 50 windows of inputs from the reference distribution', () => {
    const alerts: DriftAlert[] = [];
    let windows = 0;
    let drifted = 0;
    const monitor = createDriftMonitor({
      profile,
      windowRows: WINDOW,
      onWindow: (window) => {
        windows++;
        drifted += window.drifted ? 1 : 0;
      },
      onAlert: (alert) => alerts.push(alert),
    });
    for (const row of rows(createRandom(11), 50 * WINDOW)) monitor.observe(row);
    expect(windows).toBe(50);
    expect(alerts).toEqual([]);
    // alpha 0.01 after correction and PSI >= 0.1: a window of unshifted inputs almost never drifts.
    expect(drifted).toBeLessThanOrEqual(1);
  });

  it('alerts on a half-standard-deviation shift of one feature and calls the webhook once per cooldown with a valid signature', async () => {
    const secret = 'test-secret';
    const webhook = await startWebhook(secret, 1);
    try {
      const trigger = createWebhookTrigger({ url: webhook.url, secret, backoffMs: 10 });
      const fired: Promise<void>[] = [];
      let clock = 0;
      const windows: boolean[] = [];
      const monitor = createDriftMonitor({
        profile,
        windowRows: WINDOW,
        persistWindows: 3,
        // One row per millisecond: a window lasts 1 s; the cooldown spans five windows.
        cooldownMs: 5_000,
        now: () => clock,
        onWindow: (window) => windows.push(window.drifted),
        onAlert: (alert) => fired.push(trigger.fire(alert)),
      });
      const random = createRandom(12);
      for (const row of rows(random, 12 * WINDOW, 0.5)) {
        clock++;
        monitor.observe(row);
      }
      await Promise.all(fired);
      // Drift in every window; alerts at windows 3 (t = 3 s) and 8 (t = 8 s, one cooldown later).
      expect(windows).toEqual(new Array(12).fill(true));
      expect(monitor.alerts().map((alert) => alert.time)).toEqual([3_000, 8_000]);
      expect(
        monitor
          .alerts()
          .every((alert) => alert.features.map((f) => f.feature).join() === 'features[1]'),
      ).toBe(true);
      // The first delivery failed with a 500 and was retried: one accepted delivery per alert.
      expect(webhook.attempts()).toBe(3);
      // (The retried first alert arrives after the second.)
      expect(webhook.deliveries.map((delivery) => delivery.id).sort()).toEqual(
        monitor
          .alerts()
          .map((alert) => alert.id)
          .sort(),
      );
      expect(webhook.deliveries.every((delivery) => delivery.valid)).toBe(true);
      expect(webhook.deliveries[0].body.features.map((feature) => feature.name)).toEqual([
        'features[1]',
      ]);
    } finally {
      await webhook.close();
    }
  });

  it('rejects a row that lacks a feature or has a wrong value, naming it, and counts nothing', () => {
    const monitor = createDriftMonitor({ profile, windowRows: 2, onAlert: () => undefined });
    expect(() => monitor.observe([1, 2])).toThrow(
      expect.objectContaining({ code: Code.INVALID_ARGUMENT }),
    );
    expect(() => monitor.observe([1, Number.NaN, 3])).toThrow(/features\[1\].*finite number/);
    expect(monitor.pending()).toBe(0);
    monitor.observe([0, 5, 1]);
    expect(monitor.pending()).toBe(1);
  });

  it('watches a wide sparse input through its row norm, non-zero count and most variable columns', () => {
    const random = createRandom(3);
    const sparse = (count: number, density: number) =>
      Array.from({ length: count }, () =>
        Array.from({ length: 256 }, (_, column) =>
          random.uniform() < density * (1 + (column % 4)) ? 1 : 0,
        ),
      );
    const wide = buildReferenceProfile({
      model: 'spam',
      version: '2',
      input: 'features',
      source: 'test',
      rows: sparse(5_000, 0.02),
    });
    expect(wide.features.map((feature) => feature.name).slice(0, 2)).toEqual([
      'features.row_l1',
      'features.row_nonzero',
    ]);
    expect(wide.features).toHaveLength(18);
    const alerts: string[][] = [];
    const monitor = createDriftMonitor({
      profile: wide,
      windowRows: 500,
      persistWindows: 2,
      onAlert: (alert) => alerts.push(alert.features.map((feature) => feature.feature)),
    });
    // Longer messages: more words per row.
    for (const row of sparse(1_000, 0.03)) monitor.observe(row);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toEqual(expect.arrayContaining(['features.row_l1', 'features.row_nonzero']));
  });
});
