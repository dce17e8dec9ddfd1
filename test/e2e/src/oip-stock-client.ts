import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';

/** The repository's proto folder: the published OIP v2 protos live under inference/. */
const PROTO_ROOT = join(__dirname, '..', '..', '..', 'proto');

/** What a stock client sees of one ModelInfer answer. */
export interface StockInferResult {
  modelName: string;
  modelVersion: string;
  /** The first output tensor's raw bytes as float32. */
  output: number[];
  /** Response trailers (text values). */
  trailers: Record<string, string>;
}

/** A tensor row for a model with one FP32 input of `width` features. */
export interface StockTensor {
  name: string;
  width: number;
  values: Float32Array;
}

/**
 * An Open Inference Protocol v2 client built the way any grpc-js user would: @grpc/proto-loader
 * on the published proto, no Verdict code (no kit, no generated messages).
 */
export interface StockOipClient {
  metadata(model: string): Promise<{ inputs: { name: string; shape: string[] }[] }>;
  /** `id` is ModelInferRequest.id, which the router reports as the request id of the exposure. */
  infer(
    model: string,
    tensor: StockTensor,
    headers?: Record<string, string>,
    id?: string,
  ): Promise<StockInferResult>;
  close(): void;
}

type Callback = (error: grpc.ServiceError | null, response: Record<string, unknown>) => void;
type Unary = (request: object, metadata: grpc.Metadata, callback: Callback) => grpc.ClientUnaryCall;

export function createStockOipClient(
  address: string,
  tls: { caFile: string; certFile: string; keyFile: string },
): StockOipClient {
  const definition = protoLoader.loadSync(join(PROTO_ROOT, 'inference', 'grpc_service.proto'), {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: String,
    defaults: true,
  });
  const loaded = grpc.loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: grpc.ServiceClientConstructor };
  };
  const credentials = grpc.credentials.createSsl(
    readFileSync(tls.caFile),
    readFileSync(tls.keyFile),
    readFileSync(tls.certFile),
  );
  const client = new loaded.inference.GRPCInferenceService(address, credentials, {
    'grpc.ssl_target_name_override': 'localhost',
  }) as unknown as grpc.Client & Record<string, Unary>;

  const call = (
    method: string,
    request: object,
    headers: Record<string, string> = {},
  ): Promise<{ response: Record<string, unknown>; trailers: Record<string, string> }> =>
    new Promise((resolve, reject) => {
      const metadata = new grpc.Metadata();
      for (const [key, value] of Object.entries(headers)) metadata.set(key, value);
      let response: Record<string, unknown> | undefined;
      let trailers: Record<string, string> | undefined;
      let failure: grpc.ServiceError | undefined;
      const settle = () => {
        if (failure !== undefined) reject(failure);
        else if (response !== undefined && trailers !== undefined) resolve({ response, trailers });
      };
      const unary = client[method].bind(client);
      const pending = unary(request, metadata, (error, value) => {
        if (error) failure = error;
        else response = value;
        settle();
      });
      pending.on('status', (status: grpc.StatusObject) => {
        trailers = Object.fromEntries(
          Object.entries(status.metadata.getMap()).map(([k, v]) => [k, v.toString()]),
        );
        settle();
      });
    });

  return {
    async metadata(model) {
      const { response } = await call('ModelMetadata', { name: model });
      return response as unknown as { inputs: { name: string; shape: string[] }[] };
    },
    async infer(model, tensor, headers, id = '') {
      const { response, trailers } = await call(
        'ModelInfer',
        {
          model_name: model,
          id,
          inputs: [{ name: tensor.name, datatype: 'FP32', shape: [1, tensor.width] }],
          raw_input_contents: [Buffer.from(tensor.values.buffer)],
        },
        headers,
      );
      const raw = (response.raw_output_contents as Buffer[])[0];
      const output = Array.from(
        new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
      );
      return {
        modelName: response.model_name as string,
        modelVersion: response.model_version as string,
        output,
        trailers,
      };
    },
    close: () => client.close(),
  };
}
