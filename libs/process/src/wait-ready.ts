import { get } from 'node:http';
import { setTimeout as delay } from 'node:timers/promises';
import type { LaunchedProcess } from './launched-process';

/** How to tell that a started child is ready. */
export interface ReadyCheck {
  /** Ready once the child writes a line this accepts (read a port from it in the closure). */
  line?: (line: string) => boolean;
  /** Then ready once this resolves true (polled; a rejection counts as not yet). */
  probe?: () => Promise<boolean>;
  /** @default 60000 */
  timeoutMs?: number;
  /** @default 100 */
  pollMs?: number;
}

const DEFAULT_READY_TIMEOUT_MS = 60_000;
const DEFAULT_POLL_MS = 100;
const HTTP_PROBE_TIMEOUT_MS = 1000;

/**
 * Waits until `check` says the child is ready; throws (naming the child and quoting its latest
 * lines) when it exits first or the timeout passes.
 */
export async function waitReady(launched: LaunchedProcess, check: ReadyCheck): Promise<void> {
  const timeoutMs = check.timeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const failure = (why: string) =>
    new Error(
      `${launched.name} ${why}${launched.lines.length === 0 ? '' : `; its last lines:\n${launched.lines.slice(-20).join('\n')}`}`,
    );
  const exitedEarly = async () => {
    const exit = await launched.exited;
    return failure(
      `exited (${exit.error?.message ?? exit.signal ?? `code ${exit.code}`}) before it was ready`,
    );
  };
  if (check.line !== undefined)
    await untilLine(launched, check.line, deadline, exitedEarly, failure);
  if (check.probe === undefined) return;
  while (Date.now() < deadline) {
    if (!launched.running()) throw await exitedEarly();
    if (await check.probe().catch(() => false)) return;
    await delay(check.pollMs ?? DEFAULT_POLL_MS);
  }
  throw failure(`was not ready within ${timeoutMs} ms`);
}

async function untilLine(
  launched: LaunchedProcess,
  accept: (line: string) => boolean,
  deadline: number,
  exitedEarly: () => Promise<Error>,
  failure: (why: string) => Error,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  let unsubscribe: () => void = () => undefined;
  try {
    await Promise.race([
      new Promise<void>((resolve) => {
        // Lines already read (the child may have been quick) count too.
        if (launched.lines.some(accept)) return resolve();
        unsubscribe = launched.onLine((line) => {
          if (accept(line)) resolve();
        });
      }),
      exitedEarly().then((error) => Promise.reject(error)),
      new Promise<never>((_, reject) => {
        const waitMs = Math.max(0, deadline - Date.now());
        timer = setTimeout(
          () => reject(failure(`wrote no ready line within ${waitMs} ms`)),
          waitMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
    unsubscribe();
  }
}

/** The HTTP status `url` answers with, or undefined when it does not answer. */
export function httpStatus(url: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const request = get(url, (response) => {
      response.resume();
      resolve(response.statusCode);
    });
    request.on('error', () => resolve(undefined));
    request.setTimeout(HTTP_PROBE_TIMEOUT_MS, () => request.destroy());
  });
}

/** A probe that is ready when `url` (a service's `/readyz`) answers 200. */
export function httpReady(url: string): () => Promise<boolean> {
  return async () => (await httpStatus(url)) === 200;
}
