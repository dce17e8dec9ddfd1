/**
 * The load generator of bench/router, run as its own process (`node --import tsx
 * router-load.ts`) so that its CPU is not the measured proxy's. It works like h2load (which has
 * no client-certificate option, so it cannot speak our mutual TLS): one HTTP/2 connection, a
 * fixed number of streams in flight, each a unary gRPC call whose body is one pre-framed message
 * (flag byte, u32 big-endian length, message). Unlike h2load it can give every call its own unit
 * id in a header, so that a sticky split by unit really splits. Commands arrive as JSON lines on
 * stdin ({@link RouterLoadCommand}); each gets one JSON line ({@link RouterLoadResult}) on stdout.
 */
import { readFileSync } from 'node:fs';
import { connect, constants, type ClientHttp2Session } from 'node:http2';
import { createInterface } from 'node:readline';
import { connect as tlsConnect } from 'node:tls';

/** One measured run against one server. */
export interface RouterLoadCommand {
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
  /** Header that carries the unit id; every call gets the next id (`u0`, `u1`, ...). */
  readonly unitHeader?: string;
  /** Header or trailer whose values are counted (e.g. `x-verdict-variant`). */
  readonly countHeader?: string;
}

/**
 * One call without a client certificate, to check that a side really demands mutual TLS: the
 * answer says whether the call succeeded (it must not) and how it failed.
 */
export interface ProbeCommand {
  readonly probe: 'without-client-certificate';
  readonly address: string;
  readonly caFile: string;
  readonly path: string;
  readonly messageFile: string;
}

/** The answer to a {@link ProbeCommand}. */
export interface ProbeResult {
  readonly succeeded: boolean;
  readonly detail: string;
}

/** What one run measured, by the load generator's clock. */
export interface RouterLoadResult {
  readonly requests: number;
  readonly failures: number;
  /** The first failure's grpc-status and message, if any. */
  readonly firstFailure?: string;
  readonly seconds: number;
  /** Latency of each timed call in microseconds, sorted ascending. */
  readonly latenciesUs: number[];
  /** Bytes of the last response message, frame header excluded. */
  readonly responseBytes: number;
  /** Successful calls including the warm-up: a server's CPU time is read around both. */
  readonly allRequests: number;
  /** Timed successful calls by the value of `countHeader` (`-` where absent). */
  readonly counted: Record<string, number>;
}

const GRPC_FRAME_HEADER_BYTES = 5;

function frame(message: Buffer): Buffer {
  const framed = Buffer.alloc(GRPC_FRAME_HEADER_BYTES + message.length);
  framed.writeUInt32BE(message.length, 1);
  message.copy(framed, GRPC_FRAME_HEADER_BYTES);
  return framed;
}

function openSession(
  command: Pick<RouterLoadCommand, 'address' | 'caFile' | 'inFlight'> &
    Partial<Pick<RouterLoadCommand, 'certFile' | 'keyFile'>>,
): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const [host, port] = command.address.split(':');
    const session = connect(`https://${command.address}`, {
      peerMaxConcurrentStreams: command.inFlight,
      // Our own TLS socket so that Nagle's algorithm can be turned off, as grpc-js and h2load do.
      createConnection: () =>
        tlsConnect({
          host,
          port: Number(port),
          ca: readFileSync(command.caFile),
          ...(command.certFile === undefined || command.keyFile === undefined
            ? {}
            : { cert: readFileSync(command.certFile), key: readFileSync(command.keyFile) }),
          ALPNProtocols: ['h2'],
        }).setNoDelay(true),
    });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

interface CallResult {
  us: number;
  failure?: string;
  bytes: number;
  counted?: string;
}

/** One call: resolves with its latency in microseconds, or a failure text. */
function call(
  session: ClientHttp2Session,
  command: Pick<RouterLoadCommand, 'path' | 'unitHeader' | 'countHeader'>,
  body: Buffer,
  unit: string | undefined,
): Promise<CallResult> {
  return new Promise((resolve) => {
    const started = process.hrtime.bigint();
    const headers: Record<string, string> = {
      [constants.HTTP2_HEADER_METHOD]: 'POST',
      [constants.HTTP2_HEADER_PATH]: command.path,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    if (command.unitHeader !== undefined && unit !== undefined) headers[command.unitHeader] = unit;
    const stream = session.request(headers);
    let status: string | undefined;
    let message = '';
    let bytes = 0;
    let counted: string | undefined;
    let httpStatus = '-';
    const count = (fields: Record<string, unknown>) => {
      if (command.countHeader !== undefined && fields[command.countHeader] !== undefined)
        counted = String(fields[command.countHeader]);
    };
    stream.on('response', (fields) => {
      count(fields);
      httpStatus = String(fields[constants.HTTP2_HEADER_STATUS]);
      // A trailers-only answer carries grpc-status in the headers.
      if (fields['grpc-status'] !== undefined) {
        status = String(fields['grpc-status']);
        message = String(fields['grpc-message'] ?? '');
      }
    });
    stream.on('trailers', (trailers) => {
      count(trailers);
      status = String(trailers['grpc-status']);
      message = String(trailers['grpc-message'] ?? '');
    });
    stream.on('data', (chunk: Buffer) => (bytes += chunk.length));
    stream.on('error', (error: Error) => (message = error.message));
    stream.on('close', () => {
      const us = Number(process.hrtime.bigint() - started) / 1000;
      const failure =
        status === '0'
          ? undefined
          : `grpc-status ${status ?? '-'} (HTTP ${httpStatus}): ${message.trim()}`;
      resolve({ us, failure, bytes: bytes - GRPC_FRAME_HEADER_BYTES, counted });
    });
    stream.end(body);
  });
}

async function run(command: RouterLoadCommand): Promise<RouterLoadResult> {
  const session = await openSession(command);
  const body = frame(readFileSync(command.messageFile));
  const latenciesUs: number[] = [];
  const counted: Record<string, number> = {};
  let failures = 0;
  let firstFailure: string | undefined;
  let responseBytes = 0;
  let allRequests = 0;
  let nextUnit = 0;
  let timing = false;
  let stopAt = Number.POSITIVE_INFINITY;
  const loop = async () => {
    while (performance.now() < stopAt) {
      const result = await call(session, command, body, `u${nextUnit++}`);
      if (result.failure === undefined) allRequests++;
      if (!timing) continue;
      if (result.failure !== undefined) {
        failures++;
        firstFailure ??= result.failure;
      } else {
        latenciesUs.push(result.us);
        responseBytes = result.bytes;
        const key = result.counted ?? '-';
        counted[key] = (counted[key] ?? 0) + 1;
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
    counted,
  };
}

async function probe(command: ProbeCommand): Promise<ProbeResult> {
  let session: ClientHttp2Session | undefined;
  try {
    session = await openSession({ ...command, inFlight: 1 });
    // The TLS 1.3 server checks the client's certificate after the client's handshake is done,
    // so a refusal may only show on the first call.
    const result = await call(session, command, frame(readFileSync(command.messageFile)), 'u0');
    return result.failure === undefined
      ? { succeeded: true, detail: 'answered with grpc-status 0' }
      : { succeeded: false, detail: result.failure };
  } catch (error) {
    return { succeeded: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    session?.destroy();
  }
}

if (require.main === module) {
  const lines = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  lines.on('line', (line) => {
    queue = queue.then(async () => {
      const command = JSON.parse(line) as RouterLoadCommand | ProbeCommand;
      const result = await ('probe' in command ? probe(command) : run(command)).catch(
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      );
      process.stdout.write(`${JSON.stringify(result)}\n`);
    });
  });
}
