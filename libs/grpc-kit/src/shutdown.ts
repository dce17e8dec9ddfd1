import type { KitLogger } from './logger';

/** What started a shutdown: a signal, or the parent process going away (see below). */
export type ShutdownReason = NodeJS.Signals | 'parent-exit';

export interface ShutdownSignalOptions {
  /** Runs once, on the first signal; the process exits 0 when it resolves, 1 when it throws. */
  onShutdown: (reason: ShutdownReason) => Promise<void>;
  logger: KitLogger;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/**
 * Graceful shutdown on SIGTERM/SIGINT (Kubernetes sends SIGTERM, then SIGKILL after its grace
 * period). A second signal while draining exits at once with status 1.
 *
 * A process started with an IPC channel (as `verdict dev` starts the services) also drains when
 * that channel closes: the parent died, even by SIGKILL, and nobody would stop this process.
 */
export function installShutdownHandlers(options: ShutdownSignalOptions): void {
  let stopping = false;
  const stop = (reason: ShutdownReason) => {
    if (stopping) {
      options.logger.warn({ reason }, 'second signal while draining; exiting now');
      process.exit(1);
    }
    stopping = true;
    options.logger.info({ reason }, 'shutting down');
    options.onShutdown(reason).then(
      () => process.exit(0),
      (error: unknown) => {
        options.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => stop(signal));
  }
  if (process.connected) {
    process.once('disconnect', () => {
      if (!stopping) stop('parent-exit');
    });
  }
}
