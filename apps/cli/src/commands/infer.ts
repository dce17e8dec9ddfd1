import type { Writable } from 'node:stream';
import { InvalidArgumentError } from '@verdict/errors';
import { createSpamFeaturizer } from '@verdict/model-zoo';
import { inference } from '@verdict/proto';
import type { CommandResult } from './command';
import { UsageError } from './usage-error';
import { decodeRaw, encodeRaw, flatten, type JsonTensor } from './infer-tensors';
import { cliClient } from '../environment/cli-client';

/** The router's address in the dev stack; the model server answers the same protocol on 50052. */
export const DEFAULT_INFER_ADDRESS = '127.0.0.1:50051';

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
  if (flags.model === undefined) throw new UsageError('--model: required, the model to call');
  if ((flags.input === undefined) === (flags.text === undefined)) {
    throw new UsageError('--input or --text: expected exactly one, the request to send');
  }
  const client = cliClient(inference.GRPCInferenceService, {
    address: flags.address ?? DEFAULT_INFER_ADDRESS,
    pkiDir: flags.pki,
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
      ...routedFrom(trailers),
    };
    output.write(`${JSON.stringify(result)}\n`);
    return { exitCode: 0 };
  } finally {
    client.close();
  }
}

/**
 * `{routed: {experiment, variant}}` from the router's trailers, or nothing: the router sends them
 * on every answer, empty when the request was in no experiment.
 */
export function routedFrom(trailers: Record<string, string>): {
  routed?: { experiment: string; variant: string };
} {
  const variant = trailers['x-verdict-variant'] ?? '';
  if (variant === '') return {};
  return { routed: { experiment: trailers['x-verdict-experiment'] ?? '', variant } };
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
