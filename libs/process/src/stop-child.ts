import type { ChildProcess } from 'node:child_process';

/** How a child process ended. */
export interface ProcessExit {
  /** Its exit status, or null when a signal ended it. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Why it could not be started (spawn failed), when that is what happened. */
  readonly error?: Error;
}

/** How to stop a child process. */
export interface StopOptions {
  /** @default 'SIGTERM' */
  signal?: NodeJS.Signals;
  /**
   * How long it may drain before it is SIGKILLed. A Verdict service's own drain deadline
   * (`shutdownGraceMs`, 10 s by default) fits inside the default.
   * @default 15000
   */
  graceMs?: number;
}

/** The default `graceMs`. */
export const DEFAULT_STOP_GRACE_MS = 15_000;

/** Sends `signal` to `child`, waits for `exited`, and SIGKILLs the child after `graceMs`. */
export async function stopChild(
  child: ChildProcess,
  exited: Promise<ProcessExit>,
  options: StopOptions = {},
): Promise<ProcessExit> {
  child.kill(options.signal ?? 'SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? DEFAULT_STOP_GRACE_MS);
  try {
    return await exited;
  } finally {
    clearTimeout(timer);
  }
}
