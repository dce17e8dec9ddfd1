import { create, toBinary } from '@bufbuild/protobuf';
import { status } from '@grpc/grpc-js';
import { createAuthorizer, parsePolicy } from '@verdict/security';
import { auditV1, health, reflectionV1 } from '@verdict/proto';
import { createMethodAuthorizer } from './authorization';
import { createClient, createRawClient } from './client';
import { createServer, type KitServer } from './server';
import { createTestPki, type TestPki } from './testing/test-pki';
import { createTestAuditService } from './testing/test-service';

const AUDIT = '/verdict.audit.v1.AuditService';
const POLICY = `
roles:
  appender: [audit:append, audit:read]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [appender]
`;

describe('kit server', () => {
  let pki: TestPki;
  let server: KitServer;
  let address: string;
  const logged: object[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    server = createServer({
      name: 'kit-test',
      transport: pki.server('alpha'),
      logger: {
        error: (o) => logged.push(o),
        warn: () => undefined,
        info: () => undefined,
        debug: () => undefined,
      },
      authorize: createMethodAuthorizer({
        evaluator: createAuthorizer(parsePolicy(POLICY)),
        permissions: {
          [`${AUDIT}/Append`]: 'audit:append',
          [`${AUDIT}/AppendStream`]: 'audit:append',
          [`${AUDIT}/Export`]: 'audit:read',
        },
      }),
    });
    server.add(auditV1.AuditService, createTestAuditService());
    address = `127.0.0.1:${await server.start()}`;
  });

  afterAll(async () => {
    await server.shutdown({ graceMs: 1000 });
    await pki.remove();
  });

  function auditClient(name = 'tester') {
    return createClient(auditV1.AuditService, { address, transport: pki.client(name) });
  }

  it('answers health checks for the server and each service', async () => {
    const client = createClient(health.Health, { address, transport: pki.client() });
    expect((await client.check({ service: '' })).status).toBe(
      health.HealthCheckResponse_ServingStatus.SERVING,
    );
    expect((await client.check({ service: 'verdict.audit.v1.AuditService' })).status).toBe(
      health.HealthCheckResponse_ServingStatus.SERVING,
    );
    await expect(client.check({ service: 'no.such.Service' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
    client.close();
  });

  it('serves unary calls and hands the caller principal to the handler', async () => {
    const client = auditClient();
    let trailers: Record<string, string> = {};
    const response = await client.append(
      { records: [{ id: 'a' }, { id: 'b' }] },
      { onTrailer: (t) => (trailers = t) },
    );
    expect(response.results.map((r) => r.id)).toEqual(['a', 'b']);
    expect(response.treeSize).toBe(2n);
    expect(trailers['x-principal']).toBe('spiffe://verdict.local/ns/default/sa/tester');
    client.close();
  });

  it('serves server-streaming and client-streaming calls', async () => {
    const client = auditClient();
    const indexes: bigint[] = [];
    for await (const page of client.export({ startIndex: 2n, endIndex: 7n })) {
      indexes.push(...page.records.map((r) => r.index));
    }
    expect(indexes).toEqual([2n, 3n, 4n, 5n, 6n]);
    async function* batches() {
      for (let i = 0; i < 4; i++) yield { records: [{ id: `${i}-x` }, { id: `${i}-y` }] };
    }
    expect((await client.appendStream(batches())).appendedCount).toBe(8n);
    client.close();
  });

  it('serves bidi reflection: lists services and describes a symbol', async () => {
    const client = createClient(reflectionV1.ServerReflection, {
      address,
      transport: pki.client(),
    });
    const responses = [];
    for await (const response of client.serverReflectionInfo([
      { messageRequest: { case: 'listServices', value: '' } },
      { messageRequest: { case: 'fileContainingSymbol', value: 'verdict.audit.v1.Record' } },
      { messageRequest: { case: 'fileByFilename', value: 'missing.proto' } },
    ])) {
      responses.push(response.messageResponse);
    }
    expect(responses[0].case).toBe('listServicesResponse');
    const names =
      responses[0].case === 'listServicesResponse'
        ? responses[0].value.service.map((s) => s.name)
        : [];
    expect(names).toEqual(
      expect.arrayContaining(['verdict.audit.v1.AuditService', 'grpc.health.v1.Health']),
    );
    expect(responses[1].case).toBe('fileDescriptorResponse');
    expect(responses[2].case).toBe('errorResponse');
    client.close();
  });

  it('maps an unexpected error to INTERNAL with a correlation id, keeping the detail in the log', async () => {
    const client = auditClient();
    const failure = client.append({ records: [{ id: 'fail:internal' }] });
    await expect(failure).rejects.toMatchObject({ code: status.INTERNAL });
    const details = await failure.catch((error: { details: string }) => error.details);
    expect(details).toMatch(/correlation id [0-9a-f-]{36}/);
    expect(details).not.toContain('hunter2');
    expect(
      JSON.stringify(logged.map((o) => ({ ...o, err: String((o as { err: unknown }).err) }))),
    ).toContain('hunter2');
    client.close();
  });

  it('answers INVALID_ARGUMENT, not INTERNAL, for bytes that do not decode', async () => {
    const raw = createRawClient(auditV1.AuditService, { address, transport: pki.client() });
    const garbage = Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]);
    await expect(raw.append(garbage)).rejects.toMatchObject({
      code: status.INVALID_ARGUMENT,
      details: expect.stringContaining('verdict.audit.v1.AppendRequest'),
    });
    const valid = Buffer.from(
      toBinary(
        auditV1.AppendRequestSchema,
        create(auditV1.AppendRequestSchema, { records: [{ id: 'r' }] }),
      ),
    );
    expect((await raw.append(valid)).length).toBeGreaterThan(0);
    raw.close();
  });

  it('ends a call at its deadline with DEADLINE_EXCEEDED', async () => {
    const client = auditClient();
    await expect(
      client.append({ records: [{ id: 'sleep:400' }] }, { timeoutMs: 50 }),
    ).rejects.toMatchObject({
      code: status.DEADLINE_EXCEEDED,
    });
    client.close();
  });
});
