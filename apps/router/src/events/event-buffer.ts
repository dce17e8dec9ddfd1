import { setTimeout as delay } from 'node:timers/promises';

export interface EventBufferOptions<T> {
  /** Sends one batch; rejects when it was not stored (the same batch is sent again). */
  send(batch: T[]): Promise<void>;
  /** Events held at most; past it new events are dropped and reported. @default 50000 */
  maxBuffered?: number;
  /** Most events per send. @default 500 */
  batchSize?: number;
  /** Longest wait for a batch to fill. @default 50 */
  lingerMs?: number;
  /** First wait before re-sending a failed batch; doubles up to retryMaxMs. @default 100 */
  retryInitialMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
  /** Called with the number of events dropped because the buffer was full. */
  onDropped?: (count: number) => void;
  /** Called once per failed send (for a log line). */
  onSendFailed?: (error: unknown, batchSize: number) => void;
}

/** Events queued off the request path and delivered in batches, at least once. */
export interface EventBuffer<T> {
  /** Queues an event; never waits, never throws. False when it was dropped (buffer full). */
  push(event: T): boolean;
  /** Events waiting (the batch being sent included). */
  readonly size: number;
  /** Resolves once every event queued before the call was sent, or after `timeoutMs`. */
  flush(timeoutMs?: number): Promise<void>;
  /** Flushes for up to `timeoutMs`, then stops; what is left is dropped and reported. */
  close(timeoutMs?: number): Promise<void>;
}

/**
 * A bounded buffer drained by one sender loop. Statistics, not records: when the analyzer is
 * away long enough for the buffer to fill, new events are dropped and counted. A failed batch is
 * retried as is, so its event ids repeat and the analyzer counts each event once.
 */
export function createEventBuffer<T>(options: EventBufferOptions<T>): EventBuffer<T> {
  const maxBuffered = options.maxBuffered ?? 50_000;
  const batchSize = options.batchSize ?? 500;
  const lingerMs = options.lingerMs ?? 50;
  const retryInitialMs = options.retryInitialMs ?? 100;
  const retryMaxMs = options.retryMaxMs ?? 5000;
  let queue: T[] = [];
  let inFlight = 0;
  let sentTotal = 0;
  let queuedTotal = 0;
  let closed = false;
  let wake: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stop = new AbortController();
  const waiters: Array<{ target: number; resolve: () => void }> = [];

  const poke = () => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    const w = wake;
    wake = undefined;
    w?.();
  };
  const settle = () => {
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i].target <= sentTotal) waiters.splice(i, 1)[0].resolve();
    }
  };

  async function loop(): Promise<void> {
    let retryMs = retryInitialMs;
    while (!closed || queue.length > 0) {
      if (queue.length === 0) {
        if (closed) break;
        await new Promise<void>((resolve) => (wake = resolve));
        continue;
      }
      if (queue.length < batchSize && !closed && waiters.length === 0) {
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(poke, lingerMs);
          timer.unref();
        });
      }
      const batch = queue.length <= batchSize ? queue : queue.slice(0, batchSize);
      queue = queue.length <= batchSize ? [] : queue.slice(batchSize);
      inFlight = batch.length;
      for (;;) {
        try {
          await options.send(batch);
          retryMs = retryInitialMs;
          break;
        } catch (error) {
          options.onSendFailed?.(error, batch.length);
          if (stop.signal.aborted) {
            options.onDropped?.(batch.length);
            break;
          }
          await delay(retryMs, undefined, { signal: stop.signal }).catch(() => undefined);
          retryMs = Math.min(retryMs * 2, retryMaxMs);
        }
      }
      inFlight = 0;
      sentTotal += batch.length;
      settle();
      if (stop.signal.aborted && queue.length > 0) {
        options.onDropped?.(queue.length);
        sentTotal += queue.length;
        queue = [];
        settle();
      }
    }
  }
  const running = loop();

  return {
    push(event) {
      if (closed || queue.length + inFlight >= maxBuffered) {
        options.onDropped?.(1);
        return false;
      }
      queue.push(event);
      queuedTotal++;
      if (queue.length === 1 || queue.length >= batchSize) poke();
      return true;
    },
    get size() {
      return queue.length + inFlight;
    },
    async flush(timeoutMs = 10_000) {
      const target = queuedTotal;
      if (target <= sentTotal) return;
      const done = new Promise<void>((resolve) => waiters.push({ target, resolve }));
      poke();
      const timeout = new AbortController();
      await Promise.race([
        done,
        delay(timeoutMs, undefined, { signal: timeout.signal }).catch(() => undefined),
      ]);
      timeout.abort();
    },
    async close(timeoutMs = 5000) {
      closed = true;
      poke();
      const timeout = new AbortController();
      const timedOut = delay(timeoutMs, undefined, { signal: timeout.signal }).then(
        () => stop.abort(),
        () => undefined,
      );
      await running;
      timeout.abort();
      await timedOut;
    },
  };
}
