import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Store } from '@verdict/store';
import type { DriftAlert } from './drift-monitor';

/** Header carrying the webhook body's signature: `sha256=<hex HMAC-SHA256>`. */
export const SIGNATURE_HEADER = 'x-verdict-signature';
/** Header carrying the signing time in seconds since the epoch; it is part of the signed text. */
export const TIMESTAMP_HEADER = 'x-verdict-timestamp';
/** Header carrying the alert id: the same on every retry, so receivers can drop repeats. */
export const DELIVERY_HEADER = 'x-verdict-delivery';

/** Where a drift alert is sent to start a retraining. */
export interface RetrainingTrigger {
  /** Delivers the alert, retrying; rejects only when every attempt failed. */
  fire(alert: DriftAlert): Promise<void>;
}

/** The JSON body every trigger sends (docs/drift.md documents it). */
export function alertPayload(alert: DriftAlert): object {
  return {
    type: 'verdict.drift.alert',
    id: alert.id,
    model: alert.model,
    version: alert.version,
    time: new Date(alert.time).toISOString(),
    consecutive_drifted_windows: alert.consecutiveDrifted,
    features: alert.features.map((feature) => ({
      name: feature.feature,
      kind: feature.kind,
      psi: feature.psi,
      statistic: feature.statistic,
      p_value: feature.pValue,
      adjusted_p_value: feature.adjustedPValue,
    })),
  };
}

/** `sha256=` + hex HMAC-SHA256(secret, timestamp + "." + body), as GitHub and Stripe sign webhooks. */
export function signWebhookBody(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** Checks a received webhook's signature in constant time; receivers should also bound the timestamp's age. */
export function verifyWebhookSignature(
  secret: string,
  timestamp: string,
  body: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signWebhookBody(secret, timestamp, body));
  const received = Buffer.from(signature);
  return expected.length === received.length && timingSafeEqual(expected, received);
}

/** Retry schedule shared by the triggers. */
export interface RetryOptions {
  /** Attempts in all, the first included. @default 5 */
  readonly attempts?: number;
  /** Wait before the second attempt; doubled after each failure. @default 500 */
  readonly backoffMs?: number;
}

/** A failure that retrying cannot fix (the receiver refused the request itself). */
class FinalDeliveryError extends Error {}

async function withRetries(options: RetryOptions, attempt: () => Promise<void>): Promise<void> {
  const attempts = options.attempts ?? 5;
  let wait = options.backoffMs ?? 500;
  for (let tried = 1; ; tried++) {
    try {
      return await attempt();
    } catch (error) {
      if (tried >= attempts || error instanceof FinalDeliveryError) throw error;
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait *= 2;
    }
  }
}

/** POSTs the signed alert to a webhook; a network error, a 5xx or a 429 is retried, other answers are final. */
export function createWebhookTrigger(
  options: RetryOptions & { url: string; secret: string; timeoutMs?: number },
): RetrainingTrigger {
  return {
    fire: (alert) =>
      withRetries(options, async () => {
        const body = JSON.stringify(alertPayload(alert));
        const timestamp = String(Math.floor(Date.now() / 1000));
        const response = await fetch(options.url, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [TIMESTAMP_HEADER]: timestamp,
            [SIGNATURE_HEADER]: signWebhookBody(options.secret, timestamp, body),
            [DELIVERY_HEADER]: alert.id,
          },
          body,
          signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
        });
        if (response.ok) return;
        const message = `retraining webhook ${options.url} answered HTTP ${response.status}`;
        if (response.status >= 500 || response.status === 429) throw new Error(message);
        // A 4xx other than 429 will not change by retrying: give up at once.
        throw new FinalDeliveryError(message);
      }),
  };
}

/** Appends the alert's JSON to a Store stream (a Redis stream with the Redis backend). */
export function createStreamTrigger(
  options: RetryOptions & { store: Store; stream: string },
): RetrainingTrigger {
  return {
    fire: (alert) =>
      withRetries(options, async () => {
        await options.store.append(
          options.stream,
          Buffer.from(JSON.stringify(alertPayload(alert))),
        );
      }),
  };
}
