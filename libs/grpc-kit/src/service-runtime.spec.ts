import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import {
  auditConfigSchema,
  createMemoryAuditSink,
  decodeRecord,
  openSpoolFile,
  type AuditSink,
} from '@verdict/audit-client';
import { loadServiceConfig, serviceConfigSchema, type ServiceConfig } from '@verdict/config';
import { auditV1 } from '@verdict/proto';
import { createClient } from './client';
import type { ClientTransportOptions } from './credentials';
import { AUDIT_SPOOL_FILE } from './service-audit';
import { runService, type RunningService, type ServiceContext } from './service-runtime';
import { createTestPki, type TestPki } from './testing/test-pki';
import { createTestAuditService } from './testing/test-service';

const APPEND = '/verdict.audit.v1.AuditService/Append';
const POLICY = `
roles:
  appender: [audit:append]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [appender]
`;

const auditedSchema = serviceConfigSchema({ grpcPort: 0, opsPort: 0 }).extend({
  audit: auditConfigSchema.prefault({}),
});

describe('runService', () => {
  let pki: TestPki;
  let dir: string;
  const running: RunningService[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'verdict-runtime-'));
    await writeFile(join(dir, 'policy.yaml'), POLICY);
  });

  afterEach(async () => {
    for (const service of running.splice(0)) await service.stop();
  });

  afterAll(async () => {
    await pki.remove();
    await rm(dir, { recursive: true, force: true });
  });

  function env(dataDir: string, withPolicy = true): Record<string, string> {
    const tls = pki.server('alpha');
    return {
      VERDICT_TLS_CA_FILE: tls.caFile,
      VERDICT_TLS_CERT_FILE: tls.certFile,
      VERDICT_TLS_KEY_FILE: tls.keyFile,
      VERDICT_DATA_DIR: dataDir,
      VERDICT_LOG_LEVEL: 'silent',
      ...(withPolicy ? { VERDICT_POLICY_FILE: join(dir, 'policy.yaml') } : {}),
    };
  }

  async function start<C extends ServiceConfig>(
    config: C,
    auditSink?: AuditSink,
  ): Promise<{ address: string; context: ServiceContext<C> }> {
    let context: ServiceContext<C> | undefined;
    const service = await runService({
      name: 'runtime-test',
      config,
      permissions: { [APPEND]: 'audit:append' },
      ...(auditSink === undefined ? {} : { auditSink }),
      setup: async (given) => {
        context = given;
        given.server.add(auditV1.AuditService, createTestAuditService());
      },
    });
    running.push(service);
    return { address: `127.0.0.1:${service.grpcPort}`, context: context! };
  }

  async function append(address: string, transport: ClientTransportOptions) {
    const client = createClient(auditV1.AuditService, {
      address,
      transport,
      defaultTimeoutMs: 3000,
    });
    try {
      return await client.append({ records: [{ id: 'r1' }] });
    } finally {
      client.close();
    }
  }

  it("gives setup the service's own client transport and the policy file's authorizer", async () => {
    const config = loadServiceConfig(auditedSchema, env(join(dir, 'own')));
    const { context } = await start(config, createMemoryAuditSink());
    const tls = pki.server('alpha');
    expect(context.clientTransport).toEqual({
      mode: 'mtls',
      caFile: tls.caFile,
      certFile: tls.certFile,
      keyFile: tls.keyFile,
    });
    expect(context.authorizer.policy.source).toBe(join(dir, 'policy.yaml'));
  });

  it('records every refused call in the audit sink and lets allowed calls through', async () => {
    const sink = createMemoryAuditSink();
    const config = loadServiceConfig(auditedSchema, env(join(dir, 'denials')));
    const { address, context } = await start(config, sink);
    expect(context.audit).toBe(sink);
    const stranger = await pki.issueClient('stranger');
    await expect(append(address, stranger)).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await expect(append(address, pki.client('tester'))).resolves.toBeDefined();
    expect(sink.records).toHaveLength(1);
    expect(sink.records[0]).toMatchObject({
      actor: 'spiffe://verdict.local/ns/default/sa/stranger',
      action: 'authz.deny',
      resource: APPEND,
      outcome: auditV1.Outcome.DENIED,
    });
  });

  it('without an audit address keeps denials in the spool under the data directory', async () => {
    const dataDir = join(dir, 'spooled');
    const config = loadServiceConfig(auditedSchema, env(dataDir));
    const { address } = await start(config);
    await expect(append(address, await pki.issueClient('outsider'))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
    await running.pop()!.stop();
    const spool = await openSpoolFile(join(dataDir, AUDIT_SPOOL_FILE), 1 << 20);
    try {
      const page = await spool.read(0, 10);
      expect(page.entries.map((entry) => decodeRecord(entry).action)).toEqual(['authz.deny']);
    } finally {
      await spool.close();
    }
  });

  it('gives a service without audit settings no sink, and without a policy file refuses everyone', async () => {
    const plainSchema = serviceConfigSchema({ grpcPort: 0, opsPort: 0 });
    const config = loadServiceConfig(plainSchema, env(join(dir, 'plain'), false));
    const { address, context } = await start(config);
    expect(context.audit).toBeUndefined();
    await expect(append(address, pki.client('tester'))).rejects.toMatchObject({
      code: status.PERMISSION_DENIED,
    });
  });
});
