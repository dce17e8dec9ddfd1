// An OTLP/HTTP collector for tests of services that export traces (router, e2e).
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

/** A span as the services exported it over OTLP/HTTP (protobuf). */
export interface ReceivedSpan {
  service: string;
  name: string;
  /** Hex. */
  traceId: string;
  spanId: string;
  /** Hex; empty for a root span. */
  parentSpanId: string;
  /** OTLP SpanKind: 2 server, 3 client. */
  kind: number;
}

/** An OTLP/HTTP trace collector for tests: every span the services export, decoded. */
export interface OtlpReceiver {
  /** Base URL for OTEL_EXPORTER_OTLP_ENDPOINT. */
  readonly endpoint: string;
  readonly spans: ReceivedSpan[];
  close(): Promise<void>;
}

type Field = { number: number; wire: number; value: bigint | Buffer };

/** The fields of one protobuf message (varint, fixed64, length-delimited, fixed32). */
function fields(bytes: Buffer): Field[] {
  const out: Field[] = [];
  let at = 0;
  const varint = () => {
    let result = 0n;
    for (let shift = 0n; ; shift += 7n) {
      const byte = bytes[at++];
      result |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) return result;
    }
  };
  while (at < bytes.length) {
    const key = Number(varint());
    const number = key >> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ number, wire, value: varint() });
    else if (wire === 1) {
      out.push({ number, wire, value: bytes.subarray(at, at + 8) });
      at += 8;
    } else if (wire === 2) {
      const length = Number(varint());
      out.push({ number, wire, value: bytes.subarray(at, at + length) });
      at += length;
    } else if (wire === 5) {
      out.push({ number, wire, value: bytes.subarray(at, at + 4) });
      at += 4;
    } else throw new Error(`unexpected protobuf wire type ${wire}`);
  }
  return out;
}

const sub = (list: Field[], number: number) =>
  list.filter((f) => f.number === number && f.wire === 2).map((f) => f.value as Buffer);

/** Decodes an ExportTraceServiceRequest (opentelemetry/proto/collector/trace/v1). */
export function decodeSpans(body: Buffer): ReceivedSpan[] {
  const spans: ReceivedSpan[] = [];
  for (const resourceSpans of sub(fields(body), 1)) {
    const top = fields(resourceSpans);
    let service = '';
    for (const resource of sub(top, 1)) {
      for (const attribute of sub(fields(resource), 1)) {
        const kv = fields(attribute);
        if (sub(kv, 1)[0]?.toString('utf8') !== 'service.name') continue;
        service = sub(fields(sub(kv, 2)[0]), 1)[0]?.toString('utf8') ?? '';
      }
    }
    for (const scopeSpans of sub(top, 2)) {
      for (const span of sub(fields(scopeSpans), 2)) {
        const f = fields(span);
        spans.push({
          service,
          traceId: sub(f, 1)[0]?.toString('hex') ?? '',
          spanId: sub(f, 2)[0]?.toString('hex') ?? '',
          parentSpanId: sub(f, 4)[0]?.toString('hex') ?? '',
          name: sub(f, 5)[0]?.toString('utf8') ?? '',
          kind: Number(f.find((x) => x.number === 6)?.value ?? 0n),
        });
      }
    }
  }
  return spans;
}

/** Starts a collector on a free port of 127.0.0.1 that accepts POST /v1/traces. */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const server: Server = createServer((request, response) => {
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
