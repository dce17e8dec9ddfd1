import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buildMlp, type MlpOptions } from './mlp';
import { readOnnxSignature, type OnnxSignature } from './onnx-signature';
import { readPpocrClassifier } from './ppocr';
import { buildSpamModel, type SpamModelOptions } from './spam-models';

/** What {@link writeModelRepository} writes. */
export interface ModelRepositoryOptions {
  /**
   * The synthetic MLP served as `mlp` version 1.
   * @default { inputSize: 64, hiddenSizes: [128, 128], outputSize: 10, seed: 1 }
   */
  mlp?: MlpOptions;
  /**
   * Settings of both spam versions, including `cacheDir`: trained models are cached there
   * (default `${os.tmpdir()}/verdict-model-zoo`), so a second run reads them in milliseconds.
   * @default {}
   */
  spam?: SpamModelOptions;
  /**
   * Also copy the PP-OCR text-direction classifier in as `ppocr` version 1.
   * @default false
   */
  includePpocr?: boolean;
  /**
   * `max_batch_size` written to every model's config.yaml.
   * @default 64
   */
  maxBatchSize?: number;
  /**
   * `dynamic_batching.max_queue_delay_microseconds` written to every model's config.yaml.
   * @default 500
   */
  maxQueueDelayMicroseconds?: number;
}

/** One model version written to the repository. */
export interface ModelRepositoryEntry {
  readonly name: string;
  readonly version: number;
  /** Absolute path of `<dir>/<name>/<version>/model.onnx`. */
  readonly path: string;
  /** Hex SHA-256 of the ONNX file, as a registry records it. */
  readonly sha256: string;
  readonly signature: OnnxSignature;
}

function addDefaults(options: ModelRepositoryOptions): Required<ModelRepositoryOptions> {
  return {
    mlp: options.mlp ?? { inputSize: 64, hiddenSizes: [128, 128], outputSize: 10, seed: 1 },
    spam: options.spam ?? {},
    includePpocr: options.includePpocr ?? false,
    maxBatchSize: options.maxBatchSize ?? 64,
    maxQueueDelayMicroseconds: options.maxQueueDelayMicroseconds ?? 500,
  };
}

/**
 * Lays out a local model repository for the model server and the dev stack:
 * `<dir>/spam/1/model.onnx`, `<dir>/spam/2/model.onnx`, `<dir>/mlp/1/model.onnx` (and
 * `<dir>/ppocr/1/model.onnx` when asked), with a Triton-style `<dir>/<name>/config.yaml`
 * per model. Files are replaced atomically, so a server watching the folder never reads half
 * a model. Spam models come from the training cache when their settings have not changed.
 */
export async function writeModelRepository(
  dir: string,
  options: ModelRepositoryOptions = {},
): Promise<ModelRepositoryEntry[]> {
  const settings = addDefaults(options);
  const models: { name: string; version: number; bytes: Uint8Array }[] = [
    { name: 'spam', version: 1, bytes: buildSpamModel(1, settings.spam).bytes },
    { name: 'spam', version: 2, bytes: buildSpamModel(2, settings.spam).bytes },
    { name: 'mlp', version: 1, bytes: buildMlp(settings.mlp) },
  ];
  if (settings.includePpocr) {
    models.push({ name: 'ppocr', version: 1, bytes: readPpocrClassifier().bytes });
  }
  const entries: ModelRepositoryEntry[] = [];
  for (const model of models) {
    const path = join(dir, model.name, String(model.version), 'model.onnx');
    await writeAtomically(path, model.bytes);
    entries.push({
      name: model.name,
      version: model.version,
      path,
      sha256: createHash('sha256').update(model.bytes).digest('hex'),
      signature: readOnnxSignature(model.bytes),
    });
  }
  for (const name of new Set(models.map((model) => model.name))) {
    await writeAtomically(join(dir, name, 'config.yaml'), modelConfigYaml(name, settings));
  }
  return entries;
}

/** Triton's field names, in YAML: every version in the folder is served. */
function modelConfigYaml(name: string, settings: Required<ModelRepositoryOptions>): string {
  return [
    `# Written by @verdict/model-zoo writeModelRepository for model "${name}".`,
    `max_batch_size: ${settings.maxBatchSize}`,
    'dynamic_batching:',
    `  max_queue_delay_microseconds: ${settings.maxQueueDelayMicroseconds}`,
    'version_policy:',
    '  all: {}',
    '',
  ].join('\n');
}

async function writeAtomically(path: string, contents: Uint8Array | string): Promise<void> {
  await mkdir(join(path, '..'), { recursive: true });
  const partial = `${path}.${process.pid}.partial`;
  await writeFile(partial, contents);
  await rename(partial, path);
}
