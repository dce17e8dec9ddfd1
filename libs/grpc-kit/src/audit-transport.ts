import type { AuditTransport } from '@verdict/audit-client';
import { auditV1 } from '@verdict/proto';
import { createClient } from './client';
import type { ClientTransportOptions } from './credentials';

export interface GrpcAuditTransportOptions {
  /** `host:port` of the audit service. */
  address: string;
  transport: ClientTransportOptions;
  /** Deadline of one Append call. @default 10000 */
  timeoutMs?: number;
}

/** An {@link AuditTransport} over the audit service's Append RPC, plus a way to close it. */
export function createGrpcAuditTransport(
  options: GrpcAuditTransportOptions,
): AuditTransport & { close(): void } {
  const client = createClient(auditV1.AuditService, {
    address: options.address,
    transport: options.transport,
    defaultTimeoutMs: options.timeoutMs ?? 10_000,
  });
  return {
    append: async (records) => void (await client.append({ records })),
    close: () => client.close(),
  };
}
