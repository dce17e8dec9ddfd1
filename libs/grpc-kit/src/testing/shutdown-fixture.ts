/**
 * A kit server in its own process, for the SIGTERM test: prints `{"port":N}` once listening and
 * `{"event":"shutting down"}` when the signal arrives. Run with `node --import tsx`.
 */
import { auditV1 } from '@verdict/proto';
import { createServer } from '../server';
import { installShutdownHandlers } from '../shutdown';
import type { KitLogger } from '../logger';
import { createTestAuditService } from './test-service';

const [caFile, certFile, keyFile, graceMs] = process.argv.slice(2);
const print = (object: object) => process.stdout.write(`${JSON.stringify(object)}\n`);
const logger: KitLogger = {
  error: (object, message) => print({ ...object, message }),
  warn: (object, message) => print({ ...object, message }),
  info: (_object, message) => print({ event: message }),
  debug: () => undefined,
};
const server = createServer({
  name: 'shutdown-fixture',
  transport: { mode: 'mtls', caFile, certFile, keyFile },
  authorize: () => undefined,
  logger,
  shutdownGraceMs: Number(graceMs),
});
server.add(auditV1.AuditService, createTestAuditService());
installShutdownHandlers({ logger, onShutdown: async () => void (await server.shutdown()) });
server.start().then((port) => print({ port }));
