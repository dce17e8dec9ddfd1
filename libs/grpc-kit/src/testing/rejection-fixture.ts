/**
 * A process that leaves a promise rejection unhandled, then, if it is still alive, prints the
 * guard's count and the counter as `/metrics` renders it. With the argument `guarded` it
 * installs {@link guardUnhandledRejections} first; without it Node's default applies.
 * Run with `node --import tsx <this file> [guarded]` from the package folder.
 */
import { createLogger, createMetricsRegistry } from '@verdict/telemetry';
import { guardUnhandledRejections } from '../rejection-guard';

async function main(guarded: boolean): Promise<void> {
  const registry = createMetricsRegistry({ service: 'rejection-fixture', collectDefault: false });
  const guard = guarded
    ? guardUnhandledRejections({
        logger: createLogger({ service: 'rejection-fixture', level: 'error' }),
        registry,
      })
    : undefined;
  void Promise.reject(new Error('nobody handles this'));
  // Node reports unhandled rejections after the microtask queue drains; a timer runs after.
  await new Promise((resolve) => setTimeout(resolve, 10));
  process.stdout.write(
    `${JSON.stringify({ alive: true, count: guard?.count(), metrics: await registry.metrics() })}\n`,
  );
}

if (require.main === module) {
  void main(process.argv[2] === 'guarded');
}
