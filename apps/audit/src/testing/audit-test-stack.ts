import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, type ClientTransportOptions, type RunningService } from '@verdict/grpc-kit';
import { AUDIT_PERMISSIONS, initDevPki, type DevPki } from '@verdict/security';
import { setupAudit } from '../service';
import { configSchema } from '../config';

const POLICY = `
roles:
  appender: [audit:append]
  auditor: [audit:read]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/router']
    roles: [appender]
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [auditor]
`;

/** A throw-away PKI, policy and data directory, and a way to start the real audit service on them. */
export interface AuditTestStack {
  readonly dir: string;
  readonly dataDir: string;
  readonly pki: DevPki;
  /** Starts the service (on `port`, or a free one) with the real setup. */
  start(port?: number): Promise<RunningService>;
  /** The router's client transport: it may append. */
  appender(): ClientTransportOptions;
  /** The developer's client transport: it may read. */
  reader(): ClientTransportOptions;
  remove(): Promise<void>;
}

export async function createAuditTestStack(
  audit: Record<string, unknown> = {},
): Promise<AuditTestStack> {
  const dir = await mkdtemp(join(tmpdir(), 'verdict-audit-'));
  const pki = await initDevPki({
    dir: join(dir, 'pki'),
    services: ['audit', 'router'],
    clientName: 'tester',
  });
  const policyFile = join(dir, 'policy.yaml');
  await writeFile(policyFile, POLICY);
  const dataDir = join(dir, 'data');
  const transport = (paths: { cert: string; key: string }): ClientTransportOptions => ({
    mode: 'mtls',
    caFile: pki.caCert,
    certFile: paths.cert,
    keyFile: paths.key,
  });
  return {
    dir,
    dataDir,
    pki,
    start: (port = 0) =>
      runService({
        name: 'audit',
        permissions: AUDIT_PERMISSIONS,
        setup: setupAudit,
        config: configSchema.parse({
          grpc: { port },
          ops: { port: 0 },
          tls: {
            mode: 'mtls',
            caFile: pki.caCert,
            certFile: pki.services.audit.cert,
            keyFile: pki.services.audit.key,
          },
          policyFile,
          dataDir,
          log: { level: 'silent' },
          shutdownGraceMs: 500,
          audit: { checkpointIntervalMs: 50, ...audit },
        }),
      }),
    appender: () => transport(pki.services.router),
    reader: () => transport(pki.client),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
