/**
 * The load generator of bench/model-server, run as its own process (`node --import tsx
 * model-server-load.ts`) so that its CPU is not the measured server's. It works like h2load
 * (which has no client-certificate option, so it cannot speak our mutual TLS): one HTTP/2
 * connection, a fixed number of streams in flight, each a unary gRPC call whose body is one
 * pre-framed message (flag byte, u32 big-endian length, message). Commands arrive as JSON lines
 * on stdin ({@link LoadCommand}); each gets one JSON line ({@link LoadResult}) on stdout.
 */
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { createInterface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';

/** One measured run against one server. */
export interface LoadCommand {
  readonly address: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** gRPC method path, `/inference.GRPCInferenceService/ModelInfer`. */
  readonly path: string;
  /** File holding the serialized request message (not yet framed). */
  readonly messageFile: string;
  readonly inFlight: number;
  /** Calls made before timing starts, on the same connection. */
  readonly warmupMs: number;
  readonly durationMs: number;
}

/** What one run measured, by the load generator's clock. */
export interface LoadResult {
  readonly requests: number;
  readonly failures: number;
  /** The first failure's grpc-status and message, if any. */
  readonly firstFailure?: string;
  readonly seconds: number;
  /** Latency of each timed call in microseconds, sorted ascending. */
  readonly latenciesUs: number[];
  /** Bytes of the last response message, frame header excluded. */
  readonly responseBytes: number;
  /** Successful calls including the warm-up: the server's CPU time is read around both. */
  readonly allRequests: number;
}

const GRPC_FRAME_HEADER_BYTES = 5;

function frame(message: Buffer): Buffer {
  const framed = Buffer.alloc(GRPC_FRAME_HEADER_BYTES + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, GRPC_FRAME_HEADER_BYTES);
  return framed;
}

function openSession(command: LoadCommand): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const [host, port] = command.address.split(':');
    const session = connect(`https://${command.address}`, {
      peerMaxConcurrentStreams: command.inFlight,
      // Our own TLS socket so that Nagle's algorithm can be turned off, as grpc-js and h2load do:
      // otherwise each call's DATA frame waits for the ACK of its HEADERS frame.
      createConnection: () =>
        tlsConnect({
          host,
          port: Number(port),
          ca: readFileSync(command.caFile),
          cert: readFileSync(command.certFile),
          key: readFileSync(command.keyFile),
          ALPNProtocols: ['h2'],
        }).setNoDelay(true),
    });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** One call: resolves with its latency in microseconds, or a failure text. */
function call(
  session: ClientHttp2Session,
  path: string,
  body: Buffer,
): Promise<{ us: number; failure?: string; bytes: number }> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const stream = session.request({
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: path,
      'content-type': 'application/grpc',
      te: 'trailers',
    });
    let status: string | undefined;
    let message = '';
    let bytes = 0;
    stream.on('response', (headers) => {
      // A trailers-only answer carries grpc-status in the headers.
      if (headers['grpc-status'] !== undefined) status = String(headers['grpc-status']);
    });
    stream.on('trailers', (trailers) => {
      status = String(trailers['grpc-status']);
      message = String(trailers['grpc-message'] ?? '');
    });
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('error', (error: Error) => (message = error.message));
    stream.on('close', () => {
      const us = Number(process.hrtime.bigint() - started) / 1000;
      const failure = status === '0' ? undefined : `status ${status ?? '-'}: ${message}`;
      resolve({ us, failure, bytes: bytes - GRPC_FRAME_HEADER_BYTES });
    });
    stream.end(body);
  });
}

async function run(command: LoadCommand): Promise<LoadResult> {
  const session = await openSession(command);
  const body = frame(readFileSync(command.messageFile));
  const latenciesUs: number[] = [];
  let failures = 0;
  let firstFailure: string | undefined;
  let responseBytes = 0;
  let allRequests = 0;
  let timing = false;
  let stopAt = Number.POSITIVE_INFINITY;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const result = await call(session, command.path, body);
      if (result.failure === undefined) allRequests++;
      if (!timing) continue;
      if (result.failure !== undefined) {
        failures++;
        firstFailure ??= result.failure;
      } else {
        latenciesUs.push(result.us);
        responseBytes = result.bytes;
      }
    }
  };
  const loops = Array.from({ length: command.inFlight }, loop);
  await new Promise((resolve) => setTimeout(resolve, command.warmupMs));
  timing = true;
  const started = performance.now();
  stopAt = started + command.durationMs;
  await Promise.all(loops);
  const seconds = (performance.now() - started) / 1000;
  session.close();
  latenciesUs.sort((a, b) => a - b);
  return {
    requests: latenciesUs.length,
    failures,
    ...(firstFailure === undefined ? {} : { firstFailure }),
    seconds,
    latenciesUs,
    responseBytes,
    allRequests,
  };
}

if (require.main === module) {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const result = await run(JSON.parse(line) as LoadCommand).catch((error: unknown) => ({
        error: error instanceof Error ? error.message : String(error),
      }));
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  });
}
