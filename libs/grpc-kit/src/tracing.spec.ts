import { context, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, createTracing, type Tracing } from '@verdict/telemetry';
import { auditV1 } from '@verdict/proto';
import { createClient } from './client';
import { createServer, type KitServer } from './server';
import { createTestPki, type TestPki } from './testing/test-pki';
import { createTestAuditService } from './testing/test-service';

describe('trace propagation between kit-built services', () => {
  let pki: TestPki;
  let tracing: Tracing;
  const exporter = new InMemorySpanExporter();
  const servers: KitServer[] = [];

  beforeAll(async () => {
    pki = await createTestPki();
    tracing = createTracing({ serviceName: 'trace-test', exporter });
  });

  afterAll(async () => {
    await Promise.all(servers.map((server) => server.shutdown({ graceMs: 1000 })));
    await tracing.shutdown();
    await pki.remove();
  });

  it('keeps one trace from the client through a server-side nested call', async () => {
    const seenByBeta: string[] = [];
    const beta = createServer({
      name: 'beta',
      transport: pki.server('beta'),
      authorize: () => undefined,
    });
    const betaImpl = createTestAuditService();
    beta.add(auditV1.AuditService, {
      ...betaImpl,
      append(request, ctx) {
        seenByBeta.push(ctx.requestHeaders.get('traceparent') ?? '');
        return betaImpl.append(request, ctx);
      },
    });
    const betaAddress = `127.0.0.1:${await beta.start()}`;
    servers.push(beta);

    const toBeta = createClient(auditV1.AuditService, {
      address: betaAddress,
      transport: pki.client('alpha'),
    });
    const alpha = createServer({
      name: 'alpha',
      transport: pki.server('alpha'),
      authorize: () => undefined,
    });
    alpha.add(auditV1.AuditService, {
      ...createTestAuditService(),
      // The nested call: alpha's handler calls beta while serving the client.
      append: (request) => toBeta.append(request),
    });
    const alphaAddress = `127.0.0.1:${await alpha.start()}`;
    servers.push(alpha);

    const client = createClient(auditV1.AuditService, {
      address: alphaAddress,
      transport: pki.client(),
    });
    const root = tracing.tracer('test').startSpan('client operation');
    await context.with(trace.setSpan(context.active(), root), () =>
      client.append({ records: [{ id: 'traced' }] }),
    );
    root.end();
    client.close();
    toBeta.close();
    await tracing.forceFlush();

    const traceId = root.spanContext().traceId;
    const spans = exporter.getFinishedSpans();
    const rpcSpans = spans.filter((span) => span.name === 'verdict.audit.v1.AuditService/Append');
    expect(rpcSpans).toHaveLength(4); // client->alpha client+server, alpha->beta client+server
    expect(new Set(rpcSpans.map((span) => span.spanContext().traceId))).toEqual(new Set([traceId]));

    const byId = new Map(spans.map((span) => [span.spanContext().spanId, span]));
    const parentOf = (span: (typeof spans)[number]) =>
      byId.get(span.parentSpanContext?.spanId ?? '');
    const betaServer = rpcSpans.find(
      (span) =>
        span.kind === 1 && parentOf(span)?.kind === 2 && parentOf(parentOf(span)!)?.kind === 1,
    );
    expect(betaServer).toBeDefined();
    // Chain: beta server <- alpha client <- alpha server <- test client <- root
    const chain = [betaServer!];
    while (parentOf(chain[chain.length - 1]) !== undefined)
      chain.push(parentOf(chain[chain.length - 1])!);
    expect(chain.map((span) => span.name)).toEqual([
      'verdict.audit.v1.AuditService/Append',
      'verdict.audit.v1.AuditService/Append',
      'verdict.audit.v1.AuditService/Append',
      'verdict.audit.v1.AuditService/Append',
      'client operation',
    ]);
    expect(seenByBeta).toHaveLength(1);
    expect(seenByBeta[0]).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
  });
});
