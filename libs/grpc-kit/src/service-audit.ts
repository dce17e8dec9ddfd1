import { join } from 'node:path';
import {
  createAuditSink,
  type AuditConfig,
  type AuditRecordInit,
  type AuditSink,
  type AuditTransport,
} from '@verdict/audit-client';
import { UnavailableError } from '@verdict/errors';
import { auditV1 } from '@verdict/proto';
import type { Logger, Registry } from '@verdict/telemetry';
import { createGrpcAuditTransport } from './audit-transport';
import type { DenialEvent } from './authorization';
import type { ClientTransportOptions } from './credentials';

/** File under the service's data directory where records wait while the audit service is away. */
export const AUDIT_SPOOL_FILE = 'audit-spool';

/** The audit sink of one service process, and the one way to close it. */
export interface ServiceAudit {
  readonly sink: AuditSink;
  /** Flushes for `flushOnStopMs` (none without an address: the spool keeps the records) and closes. */
  close(): Promise<void>;
}

/** Options of {@link openServiceAudit}. */
export interface ServiceAuditOptions {
  settings: AuditConfig;
  dataDir: string;
  /** The service's own client transport: the audit service sees who wrote each batch. */
  transport: ClientTransportOptions;
  logger: Logger;
  metrics: Registry;
  /** A sink to use instead of the spooled one (tests pass an in-memory sink). */
  sink?: AuditSink;
}

/** Opens the spooled sink to the configured audit service (replaying what the spool holds). */
export async function openServiceAudit(options: ServiceAuditOptions): Promise<ServiceAudit> {
  const { settings } = options;
  if (options.sink !== undefined) {
    const sink = options.sink;
    return { sink, close: () => sink.close(0) };
  }
  const transport = auditTransport(settings.address, options.transport);
  const sink = await createAuditSink({
    transport,
    spoolFile: join(options.dataDir, AUDIT_SPOOL_FILE),
    logger: options.logger,
    metrics: options.metrics,
  });
  return {
    sink,
    async close() {
      await sink.close(settings.address === undefined ? 0 : settings.flushOnStopMs);
      transport.close?.();
    },
  };
}

/** The `authz.deny` record of a call the per-method check refused. */
export function denialRecord(event: DenialEvent): AuditRecordInit {
  return {
    actor: event.principal.id,
    action: 'authz.deny',
    resource: event.method,
    outcome: auditV1.Outcome.DENIED,
    details: { reason: event.reason },
  };
}

function auditTransport(
  address: string | undefined,
  transport: ClientTransportOptions,
): AuditTransport & { close?(): void } {
  if (address === undefined) {
    // Records are kept in the spool, never dropped, until an audit address is configured.
    return {
      append: () =>
        Promise.reject(new UnavailableError('no audit address configured (VERDICT_AUDIT_ADDRESS)')),
    };
  }
  return createGrpcAuditTransport({ address, transport });
}
