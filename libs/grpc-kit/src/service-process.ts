import { ConfigError, type ServiceConfig } from '@verdict/config';
import { runService, type ServiceRuntimeOptions } from './service-runtime';
import { installShutdownHandlers } from './shutdown';

/** Exit status when the configuration is invalid: distinct from a crash (1). */
export const CONFIG_ERROR_EXIT_CODE = 2;

/**
 * The whole life of a service process: read the configuration (a bad setting stops the process
 * with a message naming it), run the service, and drain on SIGTERM/SIGINT. Each app's main.ts
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
  runService({ ...options, config }).then(
    (service) => installShutdownHandlers({ logger: service.logger, onShutdown: service.stop }),
    (error: unknown) => {
      process.stderr.write(
        `${options.name}: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
