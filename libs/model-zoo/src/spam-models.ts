import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import { trainDenseClassifier, type LabelledFeatures } from './classifier-training';
import { predictDenseNetwork } from './dense-network';
import { encodeDenseNetwork } from './onnx-encoder';
import { readOnnxSignature } from './onnx-signature';
import {
  addSplitDefaults,
  SPAM_CORPUS,
  splitSpamMessages,
  type SpamSplitOptions,
} from './spam-corpus';
import {
  createSpamFeaturizer,
  spamFeaturizerMetadata,
  type SpamFeaturizerOptions,
} from './spam-featurizer';

/** The two demo spam models: 1 is a logistic regression, 2 a one-hidden-layer MLP. */
export type SpamModelVersion = 1 | 2;

/** Architecture and optimiser settings of one spam model. */
export interface SpamTrainingSettings {
  /** Hidden layer widths; `[]` is logistic regression. */
  readonly hiddenSizes: readonly number[];
  /** Seed of the initial weights and of the minibatch order. */
  readonly seed: number;
  /** Passes over the training messages; capped so a test trains in seconds. */
  readonly epochs: number;
  /** Adam step size. */
  readonly learningRate: number;
  /** Messages per Adam step. */
  readonly batchSize: number;
  /** L2 penalty on the weights. */
  readonly l2: number;
}

/**
 * Defaults per version, chosen on this corpus so that both train in seconds on one core
 * (timings: README.md); more epochs did not raise held-out accuracy.
 */
export const SPAM_TRAINING_DEFAULTS: Readonly<Record<SpamModelVersion, SpamTrainingSettings>> = {
  1: { hiddenSizes: [], seed: 1, epochs: 8, learningRate: 0.01, batchSize: 32, l2: 0 },
  2: { hiddenSizes: [32], seed: 2, epochs: 5, learningRate: 0.003, batchSize: 32, l2: 0 },
};

/** Settings of {@link buildSpamModel}. */
export interface SpamModelOptions {
  /**
   * Featurizer settings; a client must featurize with the same ones (they are in the metadata).
   * @default {} (see SpamFeaturizerOptions)
   */
  featurizer?: SpamFeaturizerOptions;
  /**
   * Train/held-out split; the same for both versions so their accuracies compare.
   * @default {} (see SpamSplitOptions)
   */
  split?: SpamSplitOptions;
  /**
   * Overrides of the version's training settings.
   * @default SPAM_TRAINING_DEFAULTS[version]
   */
  training?: Partial<SpamTrainingSettings>;
  /**
   * ONNX opset of the exported model.
   * @default 17
   */
  opset?: number;
  /**
   * Folder of trained models, keyed by a SHA-256 of every setting above plus the corpus
   * version, so a second build with the same settings reads the file instead of training.
   * `null` always trains and writes nothing.
   * @default `${os.tmpdir()}/verdict-model-zoo`
   */
  cacheDir?: string | null;
}

/** A trained spam model and how well it did on the held-out messages. */
export interface SpamModel {
  readonly name: 'spam';
  readonly version: SpamModelVersion;
  /** ONNX: `features FP32 [batch, buckets]` -> `probabilities FP32 [batch, 2]` (ham, spam). */
  readonly bytes: Uint8Array;
  /** Share of held-out messages whose argmax class is their label. */
  readonly heldOutAccuracy: number;
  readonly heldOutCorrect: number;
  readonly heldOutCount: number;
  readonly trainCount: number;
  /** The model's `metadata_props`, as stored in `bytes`. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the model was cached, or null when caching is off. */
  readonly cachePath: string | null;
  /** True when read from the cache rather than trained now. */
  readonly fromCache: boolean;
}

/** Bump when the training or export code changes what a given set of settings produces. */
const CACHE_FORMAT = 'spam-model-v1';
const LABELS = ['ham', 'spam'] as const;

/**
 * Trains (or reads from the cache) spam model `version` on the SpamAssassin corpus and exports
 * it to ONNX with its held-out accuracy in `metadata_props` (`heldout_accuracy`,
 * `heldout_correct`, `heldout_count`), along with the featurizer, split and training settings.
 */
export function buildSpamModel(
  version: SpamModelVersion,
  options: SpamModelOptions = {},
): SpamModel {
  if (version !== 1 && version !== 2) {
    throw new InvalidArgumentError({
      field: 'version',
      expected: '1 or 2',
      received: String(version),
    });
  }
  const featurizer = createSpamFeaturizer(options.featurizer);
  const split = addSplitDefaults(options.split ?? {});
  const training: SpamTrainingSettings = {
    ...SPAM_TRAINING_DEFAULTS[version],
    ...options.training,
  };
  const opset = options.opset ?? 17;
  const cacheDir =
    options.cacheDir === undefined ? join(tmpdir(), 'verdict-model-zoo') : options.cacheDir;
  const key = createHash('sha256')
    .update(
      JSON.stringify([
        CACHE_FORMAT,
        SPAM_CORPUS,
        version,
        featurizer.options,
        split,
        training,
        opset,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  const cachePath = cacheDir === null ? null : join(cacheDir, `spam-${version}-${key}.onnx`);
  const cached = cachePath === null ? undefined : readCachedModel(cachePath, version);
  if (cached !== undefined) return cached;

  const { train, heldOut } = featurizedSplit(featurizer.options, split);
  const network = trainDenseClassifier(train, {
    inputSize: featurizer.options.buckets,
    classes: LABELS.length,
    ...training,
  });
  const probabilities = predictDenseNetwork(network, heldOut.features, heldOut.labels.length);
  const heldOutCorrect = heldOut.labels.filter(
    (label, i) => argmax(probabilities.subarray(i * 2, i * 2 + 2)) === label,
  ).length;
  const heldOutAccuracy = heldOutCorrect / heldOut.labels.length;
  const metadata: Record<string, string> = {
    model: 'spam',
    version: String(version),
    architecture:
      training.hiddenSizes.length === 0
        ? 'logistic-regression'
        : `mlp-${training.hiddenSizes.join('-')}`,
    labels: LABELS.join(','),
    heldout_accuracy: String(heldOutAccuracy),
    heldout_correct: String(heldOutCorrect),
    heldout_count: String(heldOut.labels.length),
    train_count: String(train.length),
    dataset: SPAM_CORPUS,
    split_seed: String(split.seed),
    split_heldout_fraction: String(split.heldOutFraction),
    split_max_chars: String(split.maxChars),
    training: JSON.stringify(training),
    ...spamFeaturizerMetadata(featurizer.options),
  };
  const bytes = encodeDenseNetwork(network, {
    inputName: 'features',
    outputName: 'probabilities',
    opset,
    graphName: `spam_v${version}`,
    metadata,
  });
  if (cachePath !== null && cacheDir !== null) {
    mkdirSync(cacheDir, { recursive: true });
    // Rename is atomic, so a concurrent reader never sees half a model.
    const partial = `${cachePath}.${process.pid}.partial`;
    writeFileSync(partial, bytes);
    renameSync(partial, cachePath);
  }
  return {
    name: 'spam',
    version,
    bytes,
    heldOutAccuracy,
    heldOutCorrect,
    heldOutCount: heldOut.labels.length,
    trainCount: train.length,
    metadata,
    cachePath,
    fromCache: false,
  };
}

/** A cached model, or undefined when absent or unreadable (then it is trained again). */
function readCachedModel(path: string, version: SpamModelVersion): SpamModel | undefined {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch {
    return undefined;
  }
  try {
    const { metadata } = readOnnxSignature(bytes);
    const heldOutCorrect = Number(metadata.heldout_correct);
    const heldOutCount = Number(metadata.heldout_count);
    const trainCount = Number(metadata.train_count);
    if (![heldOutCorrect, heldOutCount, trainCount].every(Number.isInteger)) return undefined;
    return {
      name: 'spam',
      version,
      bytes,
      heldOutAccuracy: Number(metadata.heldout_accuracy),
      heldOutCorrect,
      heldOutCount,
      trainCount,
      metadata,
      cachePath: path,
      fromCache: true,
    };
  } catch {
    return undefined;
  }
}

interface FeaturizedSplit {
  readonly train: LabelledFeatures[];
  readonly heldOut: { readonly features: Float32Array; readonly labels: number[] };
}

let lastSplit: { key: string; value: WeakRef<FeaturizedSplit> } | undefined;

/**
 * Both versions train on the same features: the last featurized split is kept for the next
 * build, weakly, so it is freed once the models are built.
 */
function featurizedSplit(
  featurizerOptions: Required<SpamFeaturizerOptions>,
  splitOptions: Required<SpamSplitOptions>,
): FeaturizedSplit {
  const key = JSON.stringify([featurizerOptions, splitOptions]);
  const cached = lastSplit?.key === key ? lastSplit.value.deref() : undefined;
  if (cached !== undefined) return cached;
  const featurizer = createSpamFeaturizer(featurizerOptions);
  const { train, heldOut } = splitSpamMessages(splitOptions);
  const value: FeaturizedSplit = {
    train: train.map((message) => ({
      features: featurizer.featurizeSparse(message.text),
      label: message.label,
    })),
    heldOut: {
      features: featurizer.featurizeBatch(heldOut.map((message) => message.text)),
      labels: heldOut.map((message) => message.label),
    },
  };
  lastSplit = { key, value: new WeakRef(value) };
  return value;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
