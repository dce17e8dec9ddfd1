import { z } from 'zod';

/**
 * The `audit` settings of a service that records to the audit log (`VERDICT_AUDIT_*`). A service
 * adds it to its configuration as `audit: auditConfigSchema.prefault({})`, or `.extend()`s it
 * with settings of its own first; the service runtime then opens the audit sink from it.
 */
export const auditConfigSchema = z.object({
  address: z
    .string()
    .min(1)
    .optional()
    .describe('host:port of the audit service; without it records wait in the local spool'),
  flushOnStopMs: z
    .int()
    .min(0)
    .default(5000)
    .describe(
      'How long a stopping service waits for queued audit records to reach the audit service; the rest stay spooled',
    ),
});

/** Parsed {@link auditConfigSchema}. */
export type AuditConfig = z.output<typeof auditConfigSchema>;

/** A service configuration that carries {@link auditConfigSchema} under `audit`. */
export interface AuditedConfig {
  readonly audit: AuditConfig;
}

/**
 * Whether a parsed configuration carries {@link auditConfigSchema}: the schema always fills
 * `flushOnStopMs`, which no other `audit` section (the audit service's own) has.
 */
export function hasAuditConfig(config: object): config is AuditedConfig {
  const audit = (config as { audit?: unknown }).audit;
  return (
    typeof audit === 'object' &&
    audit !== null &&
    typeof (audit as { flushOnStopMs?: unknown }).flushOnStopMs === 'number'
  );
}
