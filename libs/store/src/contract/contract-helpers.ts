import { expect } from '@jest/globals';
import type { Store } from '../store';

/** UTF-8 bytes of a text. */
export function bytes(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Text of UTF-8 bytes. */
export function text(value: Uint8Array): string {
  return new TextDecoder().decode(value);
}

/** Every byte value once, in order. */
export function allBytes(): Uint8Array {
  return Uint8Array.from({ length: 256 }, (_, index) => index);
}

/** Upper bound on waiting for a published message; a failure, never a measured duration. */
const DELIVERY_TIMEOUT_MS = 5_000;

/** A subscription that records what it receives. */
export interface Recorder {
  readonly messages: Uint8Array[];
  /** Resolves once `count` messages have arrived; fails after a generous bound. */
  waitFor(count: number): Promise<void>;
  unsubscribe(): Promise<void>;
}

export async function record(store: Store, channel: string): Promise<Recorder> {
  const messages: Uint8Array[] = [];
  const unsubscribe = await store.subscribe(channel, (message) => {
    messages.push(message);
  });
  return {
    messages,
    unsubscribe,
    async waitFor(count) {
      const deadline = Date.now() + DELIVERY_TIMEOUT_MS;
      while (messages.length < count) {
        if (Date.now() > deadline) {
          throw new Error(`channel '${channel}': ${messages.length} of ${count} messages arrived`);
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    },
  };
}

/** Expects a promise to reject with an InvalidArgumentError about `field`. */
export async function expectInvalid(promise: Promise<unknown>, field: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'InvalidArgumentError', code: 3, field });
}

/** Expects a promise to reject with a version conflict. */
export async function expectConflict(
  promise: Promise<unknown>,
  key: string,
  expectedVersion: number,
  actualVersion: number,
): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toMatchObject({
    name: 'VersionConflictError',
    code: 10,
    key,
    expectedVersion,
    actualVersion,
  });
  const message = (error as Error).message;
  expect(message).toContain(`'${key}'`);
  expect(message).toContain(`expected version ${expectedVersion}`);
  expect(message).toContain(`found ${actualVersion}`);
}
