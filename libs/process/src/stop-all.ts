import type { LaunchedProcess } from './launched-process';
import type { ProcessExit } from './stop-child';

/** How to stop a group of children. */
export interface StopAllOptions {
  /** @default 'SIGTERM' */
  signal?: NodeJS.Signals;
  /** How long they may drain before each is SIGKILLed. @default 15000 */
  graceMs?: number;
  /**
   * Signals to this process that force the stop while it waits (a second Ctrl-C): each child
   * still running gets `signal` a second time, which a Verdict service answers by exiting at
   * once. Without them the second signal would take the default action and end this process,
   * leaving the children to finish draining unwatched.
   * @default []
   */
  forceOn?: readonly NodeJS.Signals[];
}

/**
 * Sends every running child `signal` exactly once and waits for all of them to exit. Children
 * started `detached` get no signal from the terminal, so this is the only one they see.
 */
export async function stopAll(
  children: readonly LaunchedProcess[],
  options: StopAllOptions = {},
): Promise<ProcessExit[]> {
  const signal = options.signal ?? 'SIGTERM';
  const force = () => {
    for (const child of children) if (child.running()) child.child.kill(signal);
  };
  for (const forceSignal of options.forceOn ?? []) process.on(forceSignal, force);
  try {
    return await Promise.all(
      children.map((child) => child.stop({ signal, graceMs: options.graceMs })),
    );
  } finally {
    for (const forceSignal of options.forceOn ?? []) process.off(forceSignal, force);
  }
}
