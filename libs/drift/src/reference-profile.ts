import { create } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@verdict/errors';
import { driftV1 } from '@verdict/proto';
import { createRandom } from '@verdict/stats';

/** Reference values kept per numeric feature: enough for PSI deciles and a KS test whose
 * resolution (about 1/sqrt(n)) is well below the shifts worth alerting on. */
export const MAX_REFERENCE_SAMPLE = 5_000;

/** Inputs at most this wide are monitored column by column. */
export const ALL_COLUMNS_UP_TO = 32;

/** Columns of a wider input that are monitored: those whose reference values vary most. */
export const TOP_VARIANCE_COLUMNS = 16;

/** One live row's feature values, aligned with the profile's features. */
export type FeatureRow = readonly (number | string)[];

/** A row of one input tensor: numbers (an array or a typed-array view), or strings for BYTES inputs. */
export type InputRow = ArrayLike<number> | readonly string[];

/** True for a categorical feature (one read from a BYTES input). */
export function isCategorical(feature: driftV1.FeatureProfile): boolean {
  return feature.categories.length > 0;
}

/** What {@link buildReferenceProfile} needs. */
export interface ReferenceData {
  readonly model: string;
  readonly version: string;
  /** Input tensor the rows are rows of. */
  readonly input: string;
  /** Where the rows came from, for people. */
  readonly source: string;
  readonly rows: Iterable<InputRow>;
  /** Seed of the reservoir sample, so the same data gives the same profile. @default 1 */
  readonly seed?: number;
}

/**
 * Computes the reference profile of one input tensor. Which features are monitored:
 * - a BYTES input (string rows): every column, as categories with their counts;
 * - a numeric input of at most ALL_COLUMNS_UP_TO columns: every column;
 * - a wider numeric input (hashed text, embeddings): the row's L1 norm, its number of
 *   non-zero values, and the TOP_VARIANCE_COLUMNS columns whose reference values vary most.
 * Numeric features keep a uniform reservoir sample (algorithm R) of up to MAX_REFERENCE_SAMPLE
 * values. Throws InvalidArgumentError naming a ragged or malformed row.
 */
export function buildReferenceProfile(data: ReferenceData): driftV1.ReferenceProfile {
  const rows = [...data.rows];
  if (rows.length < 2) {
    throw new InvalidArgumentError({
      field: 'rows',
      expected: 'at least 2 reference rows',
      received: String(rows.length),
    });
  }
  const width = rows[0].length;
  rows.forEach((row, index) => checkInputRow(row, width, typeof rows[0][0] === 'string', index));
  const features =
    typeof rows[0][0] === 'string'
      ? categoricalFeatures(data.input, rows as string[][], width)
      : numericFeatures(data.input, rows as ArrayLike<number>[], width, data.seed ?? 1);
  return create(driftV1.ReferenceProfileSchema, {
    model: data.model,
    version: data.version,
    rows: BigInt(rows.length),
    source: data.source,
    features,
    createTime: { seconds: BigInt(Math.floor(Date.now() / 1000)), nanos: 0 },
  });
}

function categoricalFeatures(input: string, rows: string[][], width: number) {
  return Array.from({ length: width }, (_, column) => {
    const counts = new Map<string, number>();
    for (const row of rows) counts.set(row[column], (counts.get(row[column]) ?? 0) + 1);
    const categories = [...counts.keys()].sort();
    return create(driftV1.FeatureProfileSchema, {
      name: `${input}[${column}]`,
      input,
      source: driftV1.FeatureSource.COLUMN,
      column,
      categories,
      counts: categories.map((category) => BigInt(counts.get(category)!)),
    });
  });
}

function numericFeatures(input: string, rows: ArrayLike<number>[], width: number, seed: number) {
  const specs: Array<{ name: string; source: driftV1.FeatureSource; column: number }> = [];
  if (width <= ALL_COLUMNS_UP_TO) {
    for (let column = 0; column < width; column++) {
      specs.push({ name: `${input}[${column}]`, source: driftV1.FeatureSource.COLUMN, column });
    }
  } else {
    specs.push({ name: `${input}.row_l1`, source: driftV1.FeatureSource.ROW_L1, column: 0 });
    specs.push({
      name: `${input}.row_nonzero`,
      source: driftV1.FeatureSource.ROW_NONZERO,
      column: 0,
    });
    for (const column of topVarianceColumns(rows, width)) {
      specs.push({ name: `${input}[${column}]`, source: driftV1.FeatureSource.COLUMN, column });
    }
  }
  const random = createRandom(seed);
  const samples = specs.map(() => [] as number[]);
  rows.forEach((row, index) => {
    const slot = index < MAX_REFERENCE_SAMPLE ? index : Math.floor(random.uniform() * (index + 1));
    if (slot >= MAX_REFERENCE_SAMPLE) return;
    specs.forEach((spec, feature) => (samples[feature][slot] = featureValue(spec, row) as number));
  });
  return specs.map((spec, feature) =>
    create(driftV1.FeatureProfileSchema, {
      ...spec,
      input,
      sample: samples[feature].sort((a, b) => a - b),
    }),
  );
}

/** Columns by decreasing variance (ties by position), the first TOP_VARIANCE_COLUMNS. */
function topVarianceColumns(rows: ArrayLike<number>[], width: number): number[] {
  const sum = new Float64Array(width);
  const squares = new Float64Array(width);
  for (const row of rows) {
    for (let column = 0; column < width; column++) {
      sum[column] += row[column];
      squares[column] += row[column] * row[column];
    }
  }
  const variance = Array.from(
    sum,
    (s, column) => squares[column] / rows.length - (s / rows.length) ** 2,
  );
  return variance
    .map((value, column) => ({ value, column }))
    .sort((a, b) => b.value - a.value || a.column - b.column)
    .slice(0, TOP_VARIANCE_COLUMNS)
    .map((entry) => entry.column)
    .sort((a, b) => a - b);
}

/** The value of one feature in one row of its input. */
export function featureValue(
  feature: Pick<driftV1.FeatureProfile, 'source' | 'column'>,
  row: InputRow,
): number | string {
  switch (feature.source) {
    case driftV1.FeatureSource.ROW_L1: {
      let total = 0;
      const values = row as ArrayLike<number>;
      for (let i = 0; i < values.length; i++) total += Math.abs(values[i]);
      return total;
    }
    case driftV1.FeatureSource.ROW_NONZERO: {
      let count = 0;
      const values = row as ArrayLike<number>;
      for (let i = 0; i < values.length; i++) if (values[i] !== 0) count++;
      return count;
    }
    default:
      return row[feature.column];
  }
}

/** The profile's feature values of one live row of its input. */
export function featureRow(profile: driftV1.ReferenceProfile, row: InputRow): FeatureRow {
  return profile.features.map((feature) => featureValue(feature, row));
}

/**
 * Throws InvalidArgumentError unless the row has `width` values, all finite numbers (or all
 * strings for a BYTES input).
 */
export function checkInputRow(row: InputRow, width: number, strings: boolean, index: number): void {
  if (row.length !== width) {
    throw new InvalidArgumentError({
      field: `rows[${index}]`,
      expected: `${width} values like the first row`,
      received: `${row.length} values`,
    });
  }
  for (let column = 0; column < row.length; column++) {
    const value = row[column];
    const ok = strings
      ? typeof value === 'string'
      : typeof value === 'number' && Number.isFinite(value);
    if (!ok) {
      throw new InvalidArgumentError({
        field: `rows[${index}][${column}]`,
        expected: strings ? 'a string' : 'a finite number',
        received: String(value),
      });
    }
  }
}

/**
 * Throws InvalidArgumentError naming the field unless the profile can be monitored: a model and
 * version, at least one feature, all from one input, numeric ones with at least 2 reference
 * values, categorical ones with aligned categories and counts.
 */
export function checkProfile(
  profile: driftV1.ReferenceProfile | undefined,
): asserts profile is driftV1.ReferenceProfile {
  const fail = (field: string, expected: string, received: string) => {
    throw new InvalidArgumentError({ field: `profile.${field}`, expected, received });
  };
  if (profile === undefined) return fail('', 'a reference profile', 'none');
  if (profile.model === '') fail('model', 'a model name', 'empty');
  if (profile.version === '') fail('version', 'a model version', 'empty');
  if (profile.features.length === 0) fail('features', 'at least one feature', 'none');
  const input = profile.features[0].input;
  const names = new Set<string>();
  profile.features.forEach((feature, i) => {
    if (feature.name === '' || names.has(feature.name)) {
      fail(`features[${i}].name`, 'a unique, non-empty name', JSON.stringify(feature.name));
    }
    names.add(feature.name);
    if (feature.input === '' || feature.input !== input) {
      fail(
        `features[${i}].input`,
        `the input of every feature ("${input}")`,
        JSON.stringify(feature.input),
      );
    }
    if (feature.source === driftV1.FeatureSource.UNSPECIFIED) {
      fail(`features[${i}].source`, 'COLUMN, ROW_L1 or ROW_NONZERO', 'UNSPECIFIED');
    }
    if (isCategorical(feature)) {
      if (feature.counts.length !== feature.categories.length) {
        fail(
          `features[${i}].counts`,
          `${feature.categories.length} counts, one per category`,
          String(feature.counts.length),
        );
      }
    } else if (feature.sample.length < 2 || feature.sample.some((v) => !Number.isFinite(v))) {
      fail(
        `features[${i}].sample`,
        'at least 2 finite reference values',
        String(feature.sample.length),
      );
    }
  });
}
