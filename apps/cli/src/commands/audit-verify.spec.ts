import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { createClient } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import { initDevPki, type DevPki } from '@verdict/security';
import { auditVerifyCommand } from './audit-verify';

const POLICY = `
roles:
  appender: [audit:append]
  auditor: [audit:read]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/router']
    roles: [appender]
  - principals: ['spiffe://verdict.local/ns/default/sa/developer']
    roles: [auditor]
`;
const RECORDS = 300;
const TAMPERED = 137;

/** The real audit service as a child process; resolves with its gRPC port once it is ready. */
async function startAudit(
  dir: string,
  pki: DevPki,
): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', '..', '..', 'audit', 'src', 'main.ts')],
    {
      cwd: join(__dirname, '..', '..', '..', 'audit'),
      stdio: ['ignore', 'pipe', 'inherit'],
      env: {
        ...process.env,
        VERDICT_GRPC_PORT: '0',
        VERDICT_OPS_PORT: '0',
        VERDICT_TLS_CA_FILE: pki.caCert,
        VERDICT_TLS_CERT_FILE: pki.services.audit.cert,
        VERDICT_TLS_KEY_FILE: pki.services.audit.key,
        VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
        VERDICT_DATA_DIR: join(dir, 'data'),
        VERDICT_AUDIT_CHECKPOINT_INTERVAL_MS: '50',
      },
    },
  );
  for await (const line of createInterface({ input: child.stdout! })) {
    const entry = JSON.parse(line) as { grpc_port?: number };
    if (entry.grpc_port !== undefined) return { child, port: entry.grpc_port };
  }
  throw new Error('the audit service exited before it was ready');
}

async function verify(flags: Parameters<typeof auditVerifyCommand>[0]) {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const { exitCode } = await auditVerifyCommand(flags, output);
  return { exitCode, text };
}

describe('verdict audit verify against the real service', () => {
  let dir: string;
  let pki: DevPki;
  let audit: { child: ChildProcess; port: number };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-audit-'));
    pki = await initDevPki({ dir: join(dir, 'pki'), services: ['audit', 'router'] });
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    audit = await startAudit(dir, pki);
  }, 30_000);

  afterAll(async () => {
    audit.child.kill('SIGTERM');
    if (audit.child.exitCode === null) await once(audit.child, 'exit');
    await rm(dir, { recursive: true, force: true });
  });

  it('passes on an intact log, then fails naming the first bad index after one byte of a segment changes', async () => {
    const appender = createClient(auditV1.AuditService, {
      address: `127.0.0.1:${audit.port}`,
      transport: {
        mode: 'mtls',
        caFile: pki.caCert,
        certFile: pki.services.router.cert,
        keyFile: pki.services.router.key,
      },
    });
    for (let start = 0; start < RECORDS; start += 50) {
      await appender.append({
        records: Array.from({ length: 50 }, (_, i) => ({
          id: `rec-${start + i}`,
          time: timestampNow(),
          actor: 'spiffe://verdict.local/ns/default/sa/registry',
          action: 'alias.move',
          resource: `model/spam/${start + i}x`,
          outcome: auditV1.Outcome.SUCCESS,
          details: { from: '1', to: '2' },
        })),
      });
    }
    appender.close();
    await new Promise((resolve) => setTimeout(resolve, 200)); // a checkpoint covering all records

    const flags = {
      address: `127.0.0.1:${audit.port}`,
      pki: pki.dir,
      key: join(dir, 'data', 'checkpoint.key.vkey'),
      state: join(dir, 'verify-state'),
    };
    const intact = await verify(flags);
    expect(intact.text).toMatch(/^OK: verdict.local\/audit: 300 records/);
    expect(intact.exitCode).toBe(0);

    const segments = join(dir, 'data', 'segments');
    const [segment] = await readdir(segments);
    const bytes = await readFile(join(segments, segment));
    const at = bytes.indexOf(`model/spam/${TAMPERED}x`);
    expect(at).toBeGreaterThan(0);
    bytes[at + 6] ^= 0x20; // "spam" -> "sPam": still a valid record, no longer the signed one
    await writeFile(join(segments, segment), bytes);

    const tampered = await verify(flags);
    expect(tampered.exitCode).toBe(1);
    expect(tampered.text).toContain(`FAIL: record ${TAMPERED} is not what checkpoint 300 signed`);
    expect(tampered.text).toContain(`first bad index ${TAMPERED}`);
  }, 30_000);
});
