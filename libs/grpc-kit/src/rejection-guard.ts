/**
 * The process-wide guard against unhandled promise rejections. Node's default ends the process
 * on one; a service process logs and counts it instead, because a rejected promise has already
 * unwound its own stack (its `finally` blocks ran), so the rest of the process is in the state
 * its code left it in. A thrown exception that reaches the event loop (`uncaughtException`) is
 * different: it stopped code half-way, so the guard leaves it to end the process.
 */
import { Counter, type Registry } from '@verdict/telemetry';
import type { KitLogger } from './logger';

/** Name of the counter of unhandled rejections the guard registers. */
export const UNHANDLED_REJECTIONS_METRIC = 'process_unhandled_rejections_total';

/** Options of {@link guardUnhandledRejections}. */
export interface RejectionGuardOptions {
  /** Receives each rejection at `error` level, with its reason as `err`. */
  readonly logger: KitLogger;
  /** Gets the {@link UNHANDLED_REJECTIONS_METRIC} counter. */
  readonly registry: Registry;
}

/** An installed guard. */
export interface RejectionGuard {
  /** Rejections seen since it was installed. */
  count(): number;
  /** Removes the listener: Node's default (end the process) applies again. */
  uninstall(): void;
}

/**
 * Installs a `process.on('unhandledRejection')` listener that logs and counts instead of ending
 * the process (a listener replaces Node's default `--unhandled-rejections=throw`).
 */
export function guardUnhandledRejections(options: RejectionGuardOptions): RejectionGuard {
  const counter = new Counter({
    name: UNHANDLED_REJECTIONS_METRIC,
    help: 'Promise rejections no code handled; each is a bug to fix, logged with its stack',
    registers: [options.registry],
  });
  let seen = 0;
  const listener = (reason: unknown) => {
    seen += 1;
    counter.inc();
    options.logger.error(
      { err: reason },
      'unhandled promise rejection; the process keeps running (see docs/operations.md)',
    );
  };
  process.on('unhandledRejection', listener);
  return {
    count: () => seen,
    uninstall: () => {
      process.off('unhandledRejection', listener);
    },
  };
}
