import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from '@verdict/errors';
import type { Store } from '@verdict/store';
import { z } from 'zod';
import type { DriftSettings } from './drift-service';
import { createStreamTrigger, createWebhookTrigger, type RetrainingTrigger } from '@verdict/drift';

/** The analyzer's `drift` settings (environment `VERDICT_DRIFT_*`). */
export const driftSchema = z
  .object({
    windowRows: z
      .int()
      .min(50)
      .default(500)
      .describe('Sampled rows compared with the reference at a time'),
    stepRows: z
      .int()
      .positive()
      .optional()
      .describe('Rows between two evaluations once a window is full; unset: back-to-back windows'),
    persistWindows: z
      .int()
      .positive()
      .default(3)
      .describe('Consecutive drifted windows before an alert: how long drift must persist'),
    cooldownMs: z
      .int()
      .min(0)
      .default(3_600_000)
      .describe('Least time between two alerts (and retraining calls) of one model version'),
    alpha: z
      .number()
      .gt(0)
      .lt(1)
      .default(0.01)
      .describe("Significance level across a profile's features after correction"),
    correction: z
      .enum(['benjamini-hochberg', 'bonferroni'])
      .default('benjamini-hochberg')
      .describe('Multiple-testing correction across features'),
    psiThreshold: z
      .number()
      .min(0)
      .default(0.1)
      .describe('Least PSI that counts as drift besides significance'),
    webhookUrl: z
      .url()
      .optional()
      .describe('Retraining webhook: POSTed a signed JSON alert (docs/drift.md)'),
    webhookSecretFile: z
      .string()
      .min(1)
      .optional()
      .describe('File holding the HMAC-SHA256 secret the webhook body is signed with'),
    stream: z
      .string()
      .min(1)
      .optional()
      .describe('Store stream (a Redis stream with the Redis backend) that receives each alert'),
  })
  .prefault({});

export type DriftConfig = z.output<typeof driftSchema>;

/** The monitor settings a config describes. */
export function driftSettings(config: DriftConfig): DriftSettings {
  return {
    windowRows: config.windowRows,
    stepRows: config.stepRows ?? config.windowRows,
    persistWindows: config.persistWindows,
    cooldownMs: config.cooldownMs,
    thresholds: {
      alpha: config.alpha,
      correction: config.correction,
      psiThreshold: config.psiThreshold,
      bins: 10,
    },
  };
}

/** The retraining triggers a config names; a webhook without a readable secret is refused. */
export function retrainingTriggers(
  config: DriftConfig,
  store: Store,
): Array<{ name: string; trigger: RetrainingTrigger }> {
  const triggers: Array<{ name: string; trigger: RetrainingTrigger }> = [];
  if (config.webhookUrl !== undefined) {
    if (config.webhookSecretFile === undefined) {
      throw new InvalidArgumentError({
        field: 'drift.webhookSecretFile',
        expected: 'a file with the webhook signing secret, since drift.webhookUrl is set',
        received: 'unset',
      });
    }
    const secret = readFileSync(config.webhookSecretFile, 'utf8').trim();
    if (secret.length < 16) {
      throw new InvalidArgumentError({
        field: 'drift.webhookSecretFile',
        expected: 'a secret of at least 16 characters',
        received: `${secret.length} characters`,
      });
    }
    triggers.push({
      name: 'webhook',
      trigger: createWebhookTrigger({ url: config.webhookUrl, secret }),
    });
  }
  if (config.stream !== undefined) {
    triggers.push({
      name: 'stream',
      trigger: createStreamTrigger({ store, stream: config.stream }),
    });
  }
  return triggers;
}
