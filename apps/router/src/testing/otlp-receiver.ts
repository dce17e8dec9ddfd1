import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { FieldCursor, WireType } from '../wire/protobuf-wire';

/** A span as a service exported it over OTLP/HTTP (protobuf). */
export interface ReceivedSpan {
  service: string;
  name: string;
  traceId: string;
  spanId: string;
  /** Empty for a root span. */
  parentSpanId: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  kind: number;
}

/** An OTLP/HTTP trace collector on 127.0.0.1 for tests. */
export interface OtlpReceiver {
  /** For VERDICT_OTLP_ENDPOINT / config `otlpEndpoint`. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let body = Buffer.concat(chunks);
      if (request.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      if (request.url === '/v1/traces') spans.push(...decodeSpans(body));
      response.writeHead(200, { 'content-type': 'application/x-protobuf' });
      response.end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    spans,
    async close() {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

/** Length-delimited fields of a message (or of `buf[start, end)`) by number. */
function children(buf: Buffer, start = 0, end = buf.length): Map<number, Buffer[]> {
  const out = new Map<number, Buffer[]>();
  const cursor = new FieldCursor().reset(buf, start, end);
  while (cursor.next()) {
    if (cursor.wireType === WireType.LENGTH_DELIMITED) {
      const list = out.get(cursor.field) ?? [];
      list.push(buf.subarray(cursor.valueStart, cursor.valueEnd));
      out.set(cursor.field, list);
      cursor.skip();
    } else if (cursor.wireType === WireType.VARINT) {
      out.set(cursor.field, [Buffer.from([cursor.varintNumber()])]);
    } else {
      cursor.skip();
    }
  }
  return out;
}

/** Decodes an ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1). */
function decodeSpans(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of children(body).get(1) ?? []) {
    const top = children(resourceSpans);
    let service = '';
    for (const resource of top.get(1) ?? []) {
      for (const attribute of children(resource).get(1) ?? []) {
        const kv = children(attribute);
        if (kv.get(1)?.[0]?.toString('utf8') !== 'service.name') continue;
        const value = kv.get(2)?.[0];
        service = value === undefined ? '' : (children(value).get(1)?.[0]?.toString('utf8') ?? '');
      }
    }
    for (const scopeSpans of top.get(2) ?? []) {
      for (const span of children(scopeSpans).get(2) ?? []) {
        const f = children(span);
        spans.push({
          service,
          traceId: f.get(1)?.[0]?.toString('hex') ?? '',
          spanId: f.get(2)?.[0]?.toString('hex') ?? '',
          parentSpanId: f.get(4)?.[0]?.toString('hex') ?? '',
          name: f.get(5)?.[0]?.toString('utf8') ?? '',
          kind: f.get(6)?.[0]?.[0] ?? 0,
        });
      }
    }
  }
  return spans;
}
