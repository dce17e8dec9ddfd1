import { context, trace } from '@opentelemetry/api';
import {
  InMemorySpanExporter,
  createTracing,
  extractTraceContext,
  injectTraceContext,
  type Tracing,
} from './index';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

describe('trace context propagation', () => {
  let tracing: Tracing;
  let exporter: InMemorySpanExporter;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    tracing = createTracing({ serviceName: 'propagation', exporter });
  });
  afterEach(() => tracing.shutdown());

  it('carries the trace id through traceparent from client to server', () => {
    const tracer = tracing.tracer();
    const metadata: Record<string, string> = {};
    let clientTraceId = '';
    let clientSpanId = '';
    tracer.startActiveSpan('client', (span) => {
      clientTraceId = span.spanContext().traceId;
      clientSpanId = span.spanContext().spanId;
      injectTraceContext(metadata);
      span.end();
    });

    const match = TRACEPARENT.exec(metadata.traceparent ?? '');
    expect(match?.[1]).toBe(clientTraceId);
    expect(match?.[2]).toBe(clientSpanId);

    // The server side sees metadata values as arrays, as grpc-js' Metadata.getMap() may give.
    const extracted = extractTraceContext({ traceparent: [metadata.traceparent ?? ''] });
    context.with(extracted, () => tracer.startActiveSpan('server', (span) => span.end()));

    const server = exporter.getFinishedSpans().find((s) => s.name === 'server');
    expect(server?.spanContext().traceId).toBe(clientTraceId);
    expect(server?.parentSpanContext?.spanId).toBe(clientSpanId);
    expect(server?.parentSpanContext?.isRemote).toBe(true);
  });

  it('injects nothing outside a span and extracts nothing from empty metadata', () => {
    expect(injectTraceContext({})).toEqual({});
    const extracted = extractTraceContext({ 'x-other': 'value' });
    expect(trace.getSpanContext(extracted)).toBeUndefined();
  });

  it('ignores a malformed traceparent', () => {
    const extracted = extractTraceContext({ traceparent: '00-not-a-trace-01' });
    expect(trace.getSpanContext(extracted)).toBeUndefined();
  });
});
