/**
 * A stand-in service for the launcher's signal tests: the kit's real shutdown handlers, a drain
 * that takes `argv[2]` ms, JSON log lines like a service's. Prints `{"msg":"ready"}` once set up.
 * Run with `node --import tsx`.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { installShutdownHandlers, type KitLogger } from '@verdict/grpc-kit';

const drainMs = Number(process.argv[2] ?? '0');
const print = (level: string, object: object, msg?: string) =>
  process.stdout.write(`${JSON.stringify({ level, ...object, msg })}\n`);
const logger: KitLogger = {
  error: (object, msg) => print('error', object, msg),
  warn: (object, msg) => print('warn', object, msg),
  info: (object, msg) => print('info', object, msg),
  debug: () => undefined,
};
// Keeps the event loop alive until a signal arrives, as a server's listening socket would.
const alive = setInterval(() => undefined, 60_000);
installShutdownHandlers({
  logger,
  onShutdown: async () => {
    await delay(drainMs);
    clearInterval(alive);
  },
});
print('info', {}, 'ready');
