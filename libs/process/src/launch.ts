import { spawnProcess, type LaunchedProcess, type SpawnOptions } from './launched-process';
import { waitReady, type ReadyCheck } from './wait-ready';

/** How to start a child process and tell that it is ready. */
export interface LaunchOptions extends SpawnOptions {
  /** @default ready as soon as it is spawned */
  ready?: ReadyCheck;
}

/**
 * Starts a child process and waits until it is ready. When it is not (it exits first, or the
 * timeout passes) the child is killed and the error names it and quotes its latest lines.
 */
export async function launch(options: LaunchOptions): Promise<LaunchedProcess> {
  const launched = spawnProcess(options);
  if (options.ready === undefined) return launched;
  try {
    await waitReady(launched, options.ready);
  } catch (error) {
    await launched.kill();
    throw error;
  }
  return launched;
}
