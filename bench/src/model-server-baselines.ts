/**
 * The two gRPC baselines of bench/model-server, each run as its own process (`node --import tsx
 * model-server-baselines.ts '<json settings>'`) so that its CPU can be read from /proc like the
 * model server's. Both are bare grpc-js servers on `ModelInfer`'s path with the model server's
 * mutual TLS:
 * - `echo`: answers every call with the same pre-encoded response, as large as the model
 *   server's: the gRPC floor;
 * - `naive`: decodes the request, calls `session.run` on the main thread for each request and
 *   encodes the answer, with no batching and no workers.
 * It prints `ready <port>` on stdout once it listens.
 */
import { readFileSync } from 'node:fs';
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import * as grpc from '@grpc/grpc-js';
import { inference } from '@verdict/proto';
import * as ort from 'onnxruntime-node';

/** What the baseline process is told. */
export interface BaselineSettings {
  readonly mode: 'echo' | 'naive';
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** echo: file holding the serialized response every call gets. */
  readonly responseFile?: string;
  /** naive: the ONNX model file and the compute threads of its session. */
  readonly modelFile?: string;
  readonly intraOpNumThreads?: number;
}

const MODEL_INFER_PATH = '/inference.GRPCInferenceService/ModelInfer';
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

const raw = (buffer: Buffer) => buffer;

type Handler = grpc.handleUnaryCall<Buffer, Buffer>;

function echoHandler(settings: BaselineSettings): Handler {
  const response = readFileSync(settings.responseFile!);
  return (_call, callback) => callback(null, response);
}

async function naiveHandler(settings: BaselineSettings): Promise<Handler> {
  const threads = settings.intraOpNumThreads ?? 1;
  const session = await ort.InferenceSession.create(settings.modelFile!, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  });
  return (call, callback) => {
    void (async () => {
      const request = fromBinary(inference.ModelInferRequestSchema, call.request);
      const feeds: Record<string, ort.Tensor> = {};
      request.inputs.forEach((input, index) => {
        const bytes = request.rawInputContents[index];
        // Copied: the bytes may sit at an unaligned offset inside a larger Buffer.
        const data = new Float32Array(bytes.byteLength / 4);
        new Uint8Array(data.buffer).set(bytes);
        feeds[input.name] = new ort.Tensor('float32', data, input.shape.map(Number));
      });
      const results = await session.run(feeds);
      const names = Object.keys(results);
      const response = create(inference.ModelInferResponseSchema, {
        modelName: request.modelName,
        modelVersion: request.modelVersion,
        id: request.id,
        outputs: names.map((name) => ({
          name,
          datatype: 'FP32',
          shape: results[name].dims.map(BigInt),
        })),
        rawOutputContents: names.map((name) => {
          const data = results[name].data as Float32Array;
          return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
        }),
      });
      callback(null, Buffer.from(toBinary(inference.ModelInferResponseSchema, response)));
    })().catch((error: unknown) => {
      process.stderr.write(`naive server: ${String(error)}\n`);
      callback({ code: grpc.status.INTERNAL, details: String(error) });
    });
  };
}

async function main(settings: BaselineSettings): Promise<void> {
  const handler = settings.mode === 'echo' ? echoHandler(settings) : await naiveHandler(settings);
  const server = new grpc.Server({
    'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
    'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  });
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
  const credentials = grpc.ServerCredentials.createSsl(
    readFileSync(settings.caFile),
    [{ cert_chain: readFileSync(settings.certFile), private_key: readFileSync(settings.keyFile) }],
    true,
  );
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', credentials, (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  );
  process.stdout.write(`ready ${port}\n`);
  process.on('SIGTERM', () => server.tryShutdown(() => process.exit(0)));
}

if (require.main === module) {
  main(JSON.parse(process.argv[2]) as BaselineSettings).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : error}\n`);
    process.exit(1);
  });
}
