/**
 * The Node floor of bench/router (side `grpc_js_proxy`, with `--with-node-floor`): the least a
 * grpc-js proxy does, run as its own process (`node --import tsx router-node-floor.ts '<json>'`)
 * so its CPU can be read from /proc. A bare grpc-js server on ModelInfer's path with the same
 * mutual TLS takes the request bytes undecoded, hashes the unit header like the router
 * (SHA-256 of salt:unit, first 4 bytes mod 10000) to pick one of two grpc-js channels, and
 * forwards the bytes unchanged over mutual TLS to the model server; no authorization, metrics,
 * tracing, events or audit. It prints `ready <port>` on stdout once it listens. The gap between
 * it and the router is what the router's own code costs; the gap between it and nginx is what
 * Node and grpc-js cost.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as grpc from '@grpc/grpc-js';

/** What the process is told. */
export interface NodeFloorSettings {
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** host:port of the model server. */
  readonly upstream: string;
  readonly unitHeader: string;
}

const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const BUCKETS = 10_000;
const raw = (buffer: Buffer) => buffer;

function bucketOf(salt: string, unit: string): number {
  return createHash('sha256').update(`${salt}:${unit}`).digest().readUInt32BE(0) % BUCKETS;
}

function main(settings: NodeFloorSettings): void {
  const ca = readFileSync(settings.caFile);
  const cert = readFileSync(settings.certFile);
  const key = readFileSync(settings.keyFile);
  const options = {
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  };
  // Two channels, as for two variants; a distinct option keeps grpc-js from sharing one
  // subchannel between them.
  const channels = ['a', 'b'].map(
    (name) =>
      new grpc.Client(settings.upstream, grpc.credentials.createSsl(ca, key, cert), {
        ...options,
        'grpc.ssl_target_name_override': 'localhost',
        'bench.variant': name,
      }),
  );
  const handler: grpc.handleUnaryCall<Buffer, Buffer> = (call, callback) => {
    const unit = call.metadata.get(settings.unitHeader)[0];
    const bucket = bucketOf('bench-ab', typeof unit === 'string' ? unit : '');
    const channel = channels[bucket < BUCKETS / 2 ? 0 : 1];
    const deadline = call.getDeadline();
    channel.makeUnaryRequest(
      MODEL_INFER_PATH,
      raw,
      raw,
      call.request,
      new grpc.Metadata(),
      deadline === Infinity ? {} : { deadline },
      (error, response) => {
        if (error) callback(error);
        else callback(null, response);
      },
    );
  };
  const server = new grpc.Server(options);
  server.addService(
    {
      ModelInfer: {
        path: MODEL_INFER_PATH,
        requestStream: false,
        responseStream: false,
        requestSerialize: raw,
        requestDeserialize: raw,
        responseSerialize: raw,
        responseDeserialize: raw,
      },
    },
    { ModelInfer: handler },
  );
  server.bindAsync(
    '127.0.0.1:0',
    grpc.ServerCredentials.createSsl(ca, [{ cert_chain: cert, private_key: key }], true),
    (error, port) => {
      if (error) throw error;
      process.stdout.write(`ready ${port}\n`);
    },
  );
  process.once('SIGTERM', () => {
    server.forceShutdown();
    for (const channel of channels) channel.close();
    process.exit(0);
  });
}

if (require.main === module) main(JSON.parse(process.argv[2]) as NodeFloorSettings);
