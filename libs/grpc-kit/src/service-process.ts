import { ConfigError, type ServiceConfig } from '@verdict/config';
import { runService, type ServiceRuntimeOptions } from './service-runtime';
import { guardUnhandledRejections } from './rejection-guard';
import { installShutdownHandlers } from './shutdown';

/** Exit status when the configuration is invalid: distinct from a crash (1). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/**
 * The whole life of a service process: read the configuration (a bad setting stops the process
 * with a message naming it), run the service with unhandled rejections logged and counted
 * instead of fatal, and drain on SIGTERM/SIGINT. Each app's main.ts
 * calls only this.
 */
export function runServiceProcess<C extends ServiceConfig>(
  options: Omit<ServiceRuntimeOptions<C>, 'config'> & { readConfig: () => C },
): void {
  let config: C;
  try {
    config = options.readConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${options.name}: invalid configuration\n${error.message}\n`);
      process.exit(CONFIG_ERROR_EXIT_CODE);
    }
    throw error;
  }
  runService({
    ...options,
    config,
    // From setup on a stray rejection is logged and counted, not fatal (rejection-guard.ts);
    // one before setup (reading the configuration, opening the runtime) still ends it.
    setup: (context) => {
      guardUnhandledRejections({ logger: context.logger, registry: context.metrics });
      return options.setup(context);
    },
  }).then(
    (service) => installShutdownHandlers({ logger: service.logger, onShutdown: service.stop }),
    (error: unknown) => {
      process.stderr.write(
        `${options.name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
