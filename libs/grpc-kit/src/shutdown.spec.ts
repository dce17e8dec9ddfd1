import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { status } from '@grpc/grpc-js';
import { auditV1 } from '@verdict/proto';
import { createClient } from './client';
import { createTestPki, type TestPki } from './testing/test-pki';

/** Starts the fixture server as a real child process and follows its JSON output. */
async function startFixture(pki: TestPki, graceMs: number) {
  const transport = pki.server('alpha');
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      join(__dirname, 'testing', 'shutdown-fixture.ts'),
      transport.caFile,
      transport.certFile,
      transport.keyFile,
      String(graceMs),
    ],
    { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const events: Record<string, unknown>[] = [];
  const waiters: Array<() => void> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => {
    events.push(JSON.parse(line) as Record<string, unknown>);
    waiters.splice(0).forEach((wake) => wake());
  });
  const waitFor = async (predicate: (event: Record<string, unknown>) => boolean) => {
    while (!events.some(predicate)) await new Promise<void>((resolve) => waiters.push(resolve));
    return events.find(predicate)!;
  };
  const { port } = (await waitFor((event) => 'port' in event)) as { port: number };
  return { child, address: `127.0.0.1:${port}`, waitFor };
}

function exitOf(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null
    ? Promise.resolve(child.exitCode)
    : once(child, 'exit').then(([code]) => code as number | null);
}

describe('graceful shutdown on SIGTERM', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await createTestPki();
  });
  afterAll(() => pki.remove());

  it('finishes in-flight calls, refuses new ones and exits 0', async () => {
    const fixture = await startFixture(pki, 5000);
    const client = createClient(auditV1.AuditService, {
      address: fixture.address,
      transport: pki.client(),
    });
    await client.append({ records: [{ id: 'warm-up' }] });
    const inFlight = Array.from({ length: 5 }, (_, i) =>
      client.append({ records: [{ id: 'sleep:1000' }, { id: `n${i}` }] }),
    );
    await new Promise((resolve) => setTimeout(resolve, 200));
    fixture.child.kill('SIGTERM');
    await fixture.waitFor((event) => event.event === 'shutting down');

    const late = createClient(auditV1.AuditService, {
      address: fixture.address,
      transport: pki.client(),
      defaultTimeoutMs: 2000,
    });
    await expect(late.append({ records: [{ id: 'too-late' }] })).rejects.toMatchObject({
      code: status.UNAVAILABLE,
    });
    late.close();

    const results = await Promise.allSettled(inFlight);
    expect(results.map((result) => result.status)).toEqual(Array(5).fill('fulfilled'));
    expect(await exitOf(fixture.child)).toBe(0);
    client.close();
  }, 20_000);

  it('cancels calls still running at the end of the grace period and still exits 0', async () => {
    const fixture = await startFixture(pki, 300);
    const client = createClient(auditV1.AuditService, {
      address: fixture.address,
      transport: pki.client(),
    });
    await client.append({ records: [{ id: 'warm-up' }] });
    const stuck = client.append({ records: [{ id: 'sleep:10000' }] });
    await new Promise((resolve) => setTimeout(resolve, 100));
    fixture.child.kill('SIGTERM');
    await expect(stuck).rejects.toMatchObject({ code: expect.any(Number) });
    expect(await exitOf(fixture.child)).toBe(0);
    await fixture.waitFor(
      (event) => event.message === 'calls still in flight after the grace period; cancelling them',
    );
    client.close();
  }, 20_000);
});
