import type { KitLogger } from './logger';

export interface ShutdownSignalOptions {
  /** Runs once, on the first signal; the process exits 0 when it resolves, 1 when it throws. */
  onShutdown: (signal: NodeJS.Signals) => Promise<void>;
  logger: KitLogger;
  /** @default ['SIGTERM', 'SIGINT'] */
  signals?: NodeJS.Signals[];
}

/**
 * Graceful shutdown on SIGTERM/SIGINT (Kubernetes sends SIGTERM, then SIGKILL after its grace
 * period). A second signal while draining exits at once with status 1.
 */
export function installShutdownHandlers(options: ShutdownSignalOptions): void {
  let stopping = false;
  for (const signal of options.signals ?? ['SIGTERM', 'SIGINT']) {
    process.on(signal, () => {
      if (stopping) {
        options.logger.warn({ signal }, 'second signal while draining; exiting now');
        process.exit(1);
      }
      stopping = true;
      options.logger.info({ signal }, 'shutting down');
      options.onShutdown(signal).then(
        () => process.exit(0),
        (error: unknown) => {
          options.logger.error({ err: error }, 'shutdown failed');
          process.exit(1);
        },
      );
    });
  }
}
