import { PassThrough } from 'node:stream';
import { InMemorySpanExporter, createLogger, createTracing, type Tracing } from './index';

function capture(): { stream: PassThrough; lines: () => Record<string, unknown>[] } {
  const stream = new PassThrough();
  const chunks: string[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk.toString('utf8')));
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((line) => line.length > 0)
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}

describe('createLogger', () => {
  let tracing: Tracing;
  beforeEach(() => {
    tracing = createTracing({ serviceName: 'logger', exporter: new InMemorySpanExporter() });
  });
  afterEach(() => tracing.shutdown());

  it('writes JSON lines with service, and trace and span ids inside an active span', () => {
    const out = capture();
    const logger = createLogger({ service: 'registry', destination: out.stream });
    let traceId = '';
    let spanId = '';

    logger.info('outside');
    tracing.tracer().startActiveSpan('work', (span) => {
      traceId = span.spanContext().traceId;
      spanId = span.spanContext().spanId;
      logger.info({ model: 'mnist' }, 'inside');
      span.end();
    });

    const [outside, inside] = out.lines();
    expect(outside).toMatchObject({ service: 'registry', msg: 'outside', level: 30 });
    expect(outside).not.toHaveProperty('trace_id');
    expect(outside).not.toHaveProperty('span_id');
    expect(inside).toMatchObject({
      service: 'registry',
      msg: 'inside',
      model: 'mnist',
      trace_id: traceId,
      span_id: spanId,
    });
    expect(traceId).toMatch(/^[0-9a-f]{32}$/);
  });

  it('writes bigint values, nested ones and those of child bindings, as exact strings', () => {
    const out = capture();
    const logger = createLogger({ service: 'audit', destination: out.stream });
    const big = 2n ** 64n - 1n;

    logger
      .child({ sequence: 7n })
      .child({ shard: 2n })
      .info({ offset: big, nested: { values: [1n, 'a', { deep: -3n }] }, plain: 1 }, 'bigints');

    const [line] = out.lines();
    expect(line).toMatchObject({
      sequence: '7',
      shard: '2',
      offset: '18446744073709551615',
      nested: { values: ['1', 'a', { deep: '-3' }] },
      plain: 1,
    });
  });

  it('writes err with its type, message and stack', () => {
    const out = capture();
    const logger = createLogger({ service: 'router', destination: out.stream });

    logger.error({ err: new RangeError('weights out of range') }, 'failed');

    const [line] = out.lines();
    const err = line?.err as Record<string, unknown>;
    expect(err.type).toBe('RangeError');
    expect(err.message).toBe('weights out of range');
    expect(err.stack).toContain('RangeError: weights out of range');
    expect(err.stack).toContain('logger.spec.ts');
  });

  it('drops lines below the configured level, info by default', () => {
    const quiet = capture();
    createLogger({ service: 's', destination: quiet.stream }).debug('hidden');
    const verbose = capture();
    createLogger({ service: 's', level: 'debug', destination: verbose.stream }).debug('shown');

    expect(quiet.lines()).toEqual([]);
    expect(verbose.lines().map((l) => l.msg)).toEqual(['shown']);
  });
});
