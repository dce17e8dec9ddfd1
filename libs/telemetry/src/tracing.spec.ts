import { context, propagation, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, createTracing, type Tracing } from './index';

describe('createTracing', () => {
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    tracing = undefined;
  });

  it('links a child span to its parent through the active context', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = createTracing({ serviceName: 'registry', exporter });
    const tracer = tracing.tracer();

    await tracer.startActiveSpan('parent', async (parent) => {
      // An await between the two spans: the AsyncLocalStorage manager must carry the context.
      await new Promise((resolve) => setImmediate(resolve));
      tracer.startActiveSpan('child', (child) => child.end());
      parent.end();
    });

    const spans = exporter.getFinishedSpans();
    const parent = spans.find((s) => s.name === 'parent');
    const child = spans.find((s) => s.name === 'child');
    expect(parent).toBeDefined();
    expect(child?.spanContext().traceId).toBe(parent?.spanContext().traceId);
    expect(child?.parentSpanContext?.spanId).toBe(parent?.spanContext().spanId);
    expect(parent?.parentSpanContext).toBeUndefined();
    expect(parent?.resource.attributes['service.name']).toBe('registry');
    expect(parent?.instrumentationScope.name).toBe('registry');
  });

  it('replaces an earlier registration when called again', async () => {
    const first = new InMemorySpanExporter();
    const firstTracing = createTracing({ serviceName: 'first', exporter: first });
    const second = new InMemorySpanExporter();
    tracing = createTracing({ serviceName: 'second', exporter: second });

    trace.getTracer('via-global-api').startSpan('after-replace').end();
    expect(second.getFinishedSpans().map((s) => s.name)).toEqual(['after-replace']);
    expect(first.getFinishedSpans()).toEqual([]);

    // Shutting down the replaced instance must not unregister the current one.
    await firstTracing.shutdown();
    trace.getTracer('via-global-api').startSpan('after-old-shutdown').end();
    expect(second.getFinishedSpans().map((s) => s.name)).toEqual([
      'after-replace',
      'after-old-shutdown',
    ]);
  });

  it('unregisters the globals on shutdown', async () => {
    const exporter = new InMemorySpanExporter();
    const own = createTracing({ serviceName: 'short-lived', exporter });
    await own.shutdown();

    const span = trace.getTracer('any').startSpan('after-shutdown');
    expect(span.isRecording()).toBe(false);
    span.end();
    const carrier: Record<string, string> = {};
    propagation.inject(context.active(), carrier);
    expect(carrier).toEqual({});
  });

  it('leaves the globals alone with register: false', async () => {
    const exporter = new InMemorySpanExporter();
    tracing = createTracing({ serviceName: 'local', exporter, register: false });

    const globalSpan = trace.getTracer('any').startSpan('global');
    expect(globalSpan.isRecording()).toBe(false);
    globalSpan.end();
    tracing.tracer('explicit').startSpan('local').end();
    expect(exporter.getFinishedSpans().map((s) => s.name)).toEqual(['local']);
  });
});
