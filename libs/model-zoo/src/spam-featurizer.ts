import { InvalidArgumentError } from '@verdict/errors';

// Hot loops read these module-level aliases: under Jest's vm sandbox each global lookup
// (`Math`, `Float64Array`) costs an interceptor call (docs/decisions.md#measured-costs-behind-code-choices).
const { imul, log1p, sqrt } = Math;

/** Settings of the hashed bag-of-words featurizer; part of every spam model's metadata. */
export interface SpamFeaturizerOptions {
  /**
   * Number of hash buckets, the width of the `features` input. Collisions cost a little
   * accuracy; more buckets cost model size and training time (the first layer has
   * `buckets x width` weights).
   * @default 4096
   */
  buckets?: number;
  /**
   * Shortest alphanumeric token kept; shorter runs are mostly noise ("a", "s", "1").
   * @default 2
   */
  minTokenLength?: number;
  /**
   * Longest alphanumeric token kept; longer runs are base64 or hex blobs that never repeat.
   * @default 24
   */
  maxTokenLength?: number;
}

/**
 * Turns text into the `features` rows spam models take. Identical for training, the CLI and
 * the demo traffic, so a model scores raw text the way it was trained.
 */
export interface SpamFeaturizer {
  /** The settings in force, defaults filled in. */
  readonly options: Readonly<Required<SpamFeaturizerOptions>>;
  /** One `FP32 [buckets]` row. */
  featurize(text: string): Float32Array;
  /** A row-major `FP32 [texts.length, buckets]` batch. */
  featurizeBatch(texts: readonly string[]): Float32Array;
  /** The non-zero entries of a row, in increasing bucket order (what training iterates). */
  featurizeSparse(text: string): SparseFeatures;
}

/** The non-zero entries of one feature row. */
export interface SparseFeatures {
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

/** Name and version of the feature scheme, stored in model metadata as `featurizer`. */
export const SPAM_FEATURIZER_SCHEME = 'hashed-bow-v1';

function addDefaults(options: SpamFeaturizerOptions): Required<SpamFeaturizerOptions> {
  return {
    buckets: options.buckets ?? 4096,
    minTokenLength: options.minTokenLength ?? 2,
    maxTokenLength: options.maxTokenLength ?? 24,
  };
}

/**
 * Lower-cases `text` and splits it into tokens: runs of ASCII letters and digits whose length
 * is within the limits, plus every `$` and `!` as a token of its own (both are strong spam cues
 * that a letters-only tokenizer would drop).
 */
export function tokenizeSpamText(
  text: string,
  minTokenLength: number,
  maxTokenLength: number,
): string[] {
  const tokens: string[] = [];
  for (const match of text.toLowerCase().matchAll(/[a-z0-9]+|[$!]/g)) {
    const token = match[0];
    const symbol = token === '$' || token === '!';
    if (symbol || (token.length >= minTokenLength && token.length <= maxTokenLength)) {
      tokens.push(token);
    }
  }
  return tokens;
}

/**
 * 32-bit FNV-1a of a string's UTF-16 code units (tokens are ASCII, so this equals FNV-1a of
 * their UTF-8 bytes): offset basis 0x811c9dc5, prime 0x01000193.
 */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/**
 * The featurizer: tokens ({@link tokenizeSpamText}) go to bucket `fnv1a32(token) % buckets`;
 * each bucket holds `log1p(count)` and the row is scaled to unit L2 norm, so long and short
 * messages land on the same scale and repeated words saturate.
 */
export function createSpamFeaturizer(options: SpamFeaturizerOptions = {}): SpamFeaturizer {
  const settings = addDefaults(options);
  for (const field of ['buckets', 'minTokenLength', 'maxTokenLength'] as const) {
    if (!Number.isInteger(settings[field]) || settings[field] < 1) {
      throw new InvalidArgumentError({
        field,
        expected: 'a positive integer',
        received: String(settings[field]),
      });
    }
  }
  const featurizeSparse = (text: string): SparseFeatures => {
    const counts = new Map<number, number>();
    for (const token of tokenizeSpamText(text, settings.minTokenLength, settings.maxTokenLength)) {
      const bucket = fnv1a32(token) % settings.buckets;
      counts.set(bucket, (counts.get(bucket) ?? 0) + 1);
    }
    const indices = Uint32Array.from(counts.keys()).sort();
    const weights = Array.from(indices, (bucket) => log1p(counts.get(bucket) ?? 0));
    const norm = sqrt(weights.reduce((sum, w) => sum + w * w, 0));
    const values = Float32Array.from(weights, (w) => (norm > 0 ? w / norm : 0));
    return { indices, values };
  };
  const fill = (row: Float32Array, text: string): void => {
    const { indices, values } = featurizeSparse(text);
    indices.forEach((bucket, i) => (row[bucket] = values[i]));
  };
  return {
    options: settings,
    featurizeSparse,
    featurize: (text) => {
      const row = new Float32Array(settings.buckets);
      fill(row, text);
      return row;
    },
    featurizeBatch: (texts) => {
      const batch = new Float32Array(texts.length * settings.buckets);
      texts.forEach((text, i) =>
        fill(batch.subarray(i * settings.buckets, (i + 1) * settings.buckets), text),
      );
      return batch;
    },
  };
}

/** The featurizer options a spam model's metadata records, to featurize text for that model. */
export function spamFeaturizerMetadata(
  options: Required<SpamFeaturizerOptions>,
): Record<string, string> {
  return {
    featurizer: SPAM_FEATURIZER_SCHEME,
    featurizer_buckets: String(options.buckets),
    featurizer_min_token_length: String(options.minTokenLength),
    featurizer_max_token_length: String(options.maxTokenLength),
  };
}

/**
 * Reads the featurizer options back from a spam model's metadata (see
 * `readOnnxSignature(...).metadata`), so a client featurizes text exactly as the model expects.
 */
export function spamFeaturizerOptionsFromMetadata(
  metadata: Readonly<Record<string, string>>,
): Required<SpamFeaturizerOptions> {
  if (metadata.featurizer !== SPAM_FEATURIZER_SCHEME) {
    throw new InvalidArgumentError({
      field: 'metadata.featurizer',
      expected: SPAM_FEATURIZER_SCHEME,
      received: metadata.featurizer ?? 'none',
    });
  }
  return {
    buckets: Number(metadata.featurizer_buckets),
    minTokenLength: Number(metadata.featurizer_min_token_length),
    maxTokenLength: Number(metadata.featurizer_max_token_length),
  };
}
