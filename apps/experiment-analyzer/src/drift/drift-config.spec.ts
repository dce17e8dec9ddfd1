import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Code } from '@verdict/errors';
import { createMemoryStore } from '@verdict/store';
import { driftSchema, driftSettings, retrainingTriggers } from './drift-config';

describe('drift settings', () => {
  it('defaults to back-to-back windows of 500 rows, 3 to persist, an hour of cooldown, BH at 0.01 and PSI 0.1', () => {
    expect(driftSettings(driftSchema.parse({}))).toEqual({
      windowRows: 500,
      stepRows: 500,
      persistWindows: 3,
      cooldownMs: 3_600_000,
      thresholds: { alpha: 0.01, correction: 'benjamini-hochberg', psiThreshold: 0.1, bins: 10 },
    });
  });

  it('refuses a webhook without a signing secret, naming the setting', () => {
    const config = driftSchema.parse({ webhookUrl: 'http://127.0.0.1:9/retrain' });
    expect(() => retrainingTriggers(config, createMemoryStore())).toThrow(
      expect.objectContaining({
        code: Code.INVALID_ARGUMENT,
        message: expect.stringContaining('drift.webhookSecretFile'),
      }),
    );
  });

  it('appends alerts to the configured stream', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verdict-drift-'));
    try {
      await writeFile(join(dir, 'secret'), 'a-secret-of-enough-length\n');
      const store = createMemoryStore();
      const triggers = retrainingTriggers(
        driftSchema.parse({
          webhookUrl: 'http://127.0.0.1:9/retrain',
          webhookSecretFile: join(dir, 'secret'),
          stream: 'drift-alerts',
        }),
        store,
      );
      expect(triggers.map((t) => t.name)).toEqual(['webhook', 'stream']);
      await triggers[1].trigger.fire({
        id: 'a1',
        model: 'spam',
        version: '1',
        time: 0,
        consecutiveDrifted: 3,
        features: [],
      });
      const [entry] = await store.read('drift-alerts');
      expect(JSON.parse(Buffer.from(entry.entry).toString())).toMatchObject({
        type: 'verdict.drift.alert',
        id: 'a1',
        model: 'spam',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
