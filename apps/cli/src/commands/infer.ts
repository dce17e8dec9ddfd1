import type { Writable } from 'node:stream';
import { createClient } from '@verdict/grpc-kit';
import { InvalidArgumentError } from '@verdict/errors';
import { createSpamFeaturizer } from '@verdict/model-zoo';
import { inference } from '@verdict/proto';
import type { CommandResult } from './command';
import { decodeRaw, encodeRaw, flatten, type JsonTensor } from './infer-tensors';
import { developerTransport } from './developer-transport';

/** The router's address in the dev stack; the model server answers the same protocol on 50052. */
export const DEFAULT_INFER_ADDRESS = '127.0.0.1:50051';

export const INFER_USAGE = `verdict infer --model NAME [--version N] (--input JSON | --text MESSAGE) [--unit ID] [--address 127.0.0.1:50051] [--pki .verdict/pki]

Calls inference.GRPCInferenceService/ModelInfer on the router (or, with --address
127.0.0.1:50052, the model server) and prints the response as JSON.
--input takes the Open Inference Protocol's JSON form, {"inputs":[{"name","datatype","shape","data"}]},
or, for a model with one input, just nested arrays of rows (datatype and name from ModelMetadata).
--text featurizes a raw message for a spam model with the default hashed bag-of-words settings.
--unit sends the x-verdict-unit header the router assigns experiment variants by; the
experiment and variant the router reports in its trailers are printed as "routed".`;

/** Flags of `verdict infer`. */
export interface InferFlags {
  model?: string;
  version?: string;
  input?: string;
  text?: string;
  unit?: string;
  address?: string;
  pki?: string;
}

/** The header the router reads the unit id from (its default). */
export const UNIT_HEADER = 'x-verdict-unit';

type Metadata = inference.ModelMetadataResponse;

/** Runs `verdict infer`, writing the response JSON to `output`. */
export async function inferCommand(
  flags: InferFlags,
  output: Writable = process.stdout,
): Promise<CommandResult> {
  if (flags.model === undefined || (flags.input === undefined) === (flags.text === undefined)) {
    process.stderr.write(`${INFER_USAGE}\n`);
    return { exitCode: 2 };
  }
  const client = createClient(inference.GRPCInferenceService, {
    address: flags.address ?? DEFAULT_INFER_ADDRESS,
    transport: developerTransport(flags.pki),
    defaultTimeoutMs: 30_000,
  });
  try {
    const metadata = await client.modelMetadata({
      name: flags.model,
      version: flags.version ?? '',
    });
    const tensors =
      flags.text !== undefined ? featurized(flags.text, metadata) : parsed(flags.input!, metadata);
    let trailers: Record<string, string> = {};
    const response = await client.modelInfer(
      {
        modelName: flags.model,
        modelVersion: flags.version ?? '',
        inputs: tensors.map((t) => ({
          name: t.name,
          datatype: t.datatype,
          shape: t.shape.map(BigInt),
        })),
        rawInputContents: tensors.map(encodeRaw),
      },
      {
        headers: flags.unit === undefined ? undefined : { [UNIT_HEADER]: flags.unit },
        onTrailer: (received) => (trailers = received),
      },
    );
    const routed =
      trailers['x-verdict-variant'] === undefined
        ? {}
        : {
            routed: {
              experiment: trailers['x-verdict-experiment'] ?? '',
              variant: trailers['x-verdict-variant'],
            },
          };
    const result = {
      model_name: response.modelName,
      model_version: response.modelVersion,
      id: response.id,
      outputs: response.outputs.map((tensor, i) =>
        decodeRaw(
          tensor.name,
          tensor.datatype,
          tensor.shape.map(Number),
          response.rawOutputContents[i],
        ),
      ),
      ...routed,
    };
    output.write(`${JSON.stringify(result)}\n`);
    return { exitCode: 0 };
  } finally {
    client.close();
  }
}

/** ModelMetadata carries no model properties, so text is featurized with the default settings. */
function featurized(text: string, metadata: Metadata): JsonTensor[] {
  const featurizer = createSpamFeaturizer();
  const [input] = metadata.inputs;
  const width = Number(input?.shape.at(-1));
  if (metadata.inputs.length !== 1 || width !== featurizer.options.buckets) {
    throw new InvalidArgumentError({
      field: '--text',
      expected: `a model with one input of ${featurizer.options.buckets} features (a spam model)`,
      received: metadata.inputs.map((t) => `${t.name} [${t.shape.join(',')}]`).join(', '),
    });
  }
  return [
    {
      name: input.name,
      datatype: 'FP32',
      shape: [1, width],
      data: Array.from(featurizer.featurize(text)),
    },
  ];
}

function parsed(text: string, metadata: Metadata): JsonTensor[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError({
      field: '--input',
      expected: 'JSON',
      received: (error as Error).message,
    });
  }
  const spec = (name: string) => metadata.inputs.find((input) => input.name === name);
  if (Array.isArray(value)) {
    if (metadata.inputs.length !== 1) {
      throw new InvalidArgumentError({
        field: '--input',
        expected: `{"inputs": [...]} naming each of ${metadata.inputs.map((t) => t.name).join(', ')}`,
        received: 'bare arrays',
      });
    }
    const [only] = metadata.inputs;
    return [{ name: only.name, datatype: only.datatype, ...flatten(value) }];
  }
  const inputs = (value as { inputs?: unknown }).inputs;
  if (!Array.isArray(inputs)) {
    throw new InvalidArgumentError({
      field: '--input',
      expected: '{"inputs": [{"name", "data", "shape"?, "datatype"?}]} or nested arrays',
      received: text.slice(0, 80),
    });
  }
  return inputs.map((raw: Partial<JsonTensor> & { data?: unknown }) => {
    const name = String(raw.name ?? '');
    const flat = flatten(raw.data);
    return {
      name,
      datatype: raw.datatype ?? spec(name)?.datatype ?? 'FP32',
      shape: raw.shape ?? flat.shape,
      data: flat.data,
    };
  });
}
