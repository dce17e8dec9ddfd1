import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { createAuditSink } from '@verdict/audit-client';
import { createClient, createGrpcAuditTransport } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import { createAuditTestStack, type AuditTestStack } from './testing/audit-test-stack';

const RECORDS = 10_000;

describe('no lost records while the audit service is away', () => {
  let stack: AuditTestStack;
  beforeAll(async () => {
    stack = await createAuditTestStack();
  });
  afterAll(() => stack.remove());

  it(`delivers all ${RECORDS} records exactly once across a stop and a restart`, async () => {
    let service = await stack.start();
    const port = service.grpcPort;
    const transport = createGrpcAuditTransport({
      address: `127.0.0.1:${port}`,
      transport: stack.appender(),
      timeoutMs: 2000,
    });
    const sink = await createAuditSink({
      transport,
      spoolFile: join(stack.dir, 'router', 'audit.spool'),
      retryInitialMs: 20,
      retryMaxMs: 200,
      batchSize: 250,
    });
    let stopped: Promise<void> | undefined;
    let spooledWhileAway = 0;
    for (let i = 0; i < RECORDS; i++) {
      sink.record({
        id: `r-${i}`,
        actor: 'spiffe://verdict.local/ns/default/sa/router',
        action: 'inference.request',
        resource: 'model/spam',
        outcome: auditV1.Outcome.SUCCESS,
      });
      if (i % 250 === 249) await delay(2);
      if (i === 2000) stopped = service.stop();
      if (i === 8000) {
        await stopped;
        spooledWhileAway = sink.spoolBytes;
        service = await stack.start(port);
      }
    }
    await sink.flush();
    await sink.close();
    transport.close();
    expect(spooledWhileAway).toBeGreaterThan(0);

    const reader = createClient(auditV1.AuditService, {
      address: `127.0.0.1:${port}`,
      transport: stack.reader(),
    });
    const seen = new Map<string, number>();
    for await (const page of reader.export({ startIndex: 0n })) {
      for (const entry of page.records)
        seen.set(entry.record!.id, (seen.get(entry.record!.id) ?? 0) + 1);
    }
    reader.close();
    await service.stop();
    expect(seen.size).toBe(RECORDS);
    expect([...seen.values()].every((count) => count === 1)).toBe(true);
    expect(Array.from({ length: RECORDS }, (_, i) => seen.has(`r-${i}`)).every(Boolean)).toBe(true);
  }, 60_000);
});
