import { InvalidArgumentError } from '@verdict/errors';
import { createRandom } from '@verdict/stats';

/** Reference values kept per numeric feature: enough for PSI deciles and a KS test whose
 * resolution (about 1/sqrt(n)) is well below the shifts worth alerting on. */
export const MAX_REFERENCE_SAMPLE = 5_000;

/** What a feature holds. */
export type FeatureKind = 'numeric' | 'categorical';

/** A feature of a model's input, by column position in a row. */
export interface FeatureSpec {
  readonly name: string;
  readonly kind: FeatureKind;
}

/** The reference distribution of one feature. */
export type FeatureProfile =
  | {
      readonly name: string;
      readonly kind: 'numeric';
      /** A uniform sample of the reference values (all of them up to MAX_REFERENCE_SAMPLE), sorted. */
      readonly sample: readonly number[];
    }
  | {
      readonly name: string;
      readonly kind: 'categorical';
      readonly categories: readonly string[];
      /** Reference count of each category, aligned with `categories`. */
      readonly counts: readonly number[];
    };

/** Feature distributions of a model version's reference dataset (e.g. its training set). */
export interface ReferenceProfile {
  readonly model: string;
  readonly version: string;
  /** Rows the profile was computed from. */
  readonly rows: number;
  readonly features: readonly FeatureProfile[];
}

/** A row of feature values, aligned with the profile's features. */
export type FeatureRow = readonly (number | string)[];

/**
 * Computes a reference profile from rows: per numeric feature a reservoir sample (algorithm R,
 * seeded so the same data gives the same profile), per categorical feature the count of every
 * category. Throws InvalidArgumentError naming the row and column of a value of the wrong kind.
 */
export function buildReferenceProfile(
  model: string,
  version: string,
  features: readonly FeatureSpec[],
  rows: Iterable<FeatureRow>,
  seed = 1,
): ReferenceProfile {
  if (features.length === 0) {
    throw new InvalidArgumentError({
      field: 'features',
      expected: 'at least one feature',
      received: 'none',
    });
  }
  const random = createRandom(seed);
  const samples = features.map(() => [] as number[]);
  const counts = features.map(() => new Map<string, number>());
  let seen = 0;
  for (const row of rows) {
    checkRow(row, features, seen);
    seen++;
    const slot = seen <= MAX_REFERENCE_SAMPLE ? seen - 1 : Math.floor(random.uniform() * seen);
    features.forEach((feature, column) => {
      const value = row[column];
      if (feature.kind === 'categorical') {
        counts[column].set(String(value), (counts[column].get(String(value)) ?? 0) + 1);
      } else if (slot < MAX_REFERENCE_SAMPLE) {
        samples[column][slot] = value as number;
      }
    });
  }
  if (seen < 2) {
    throw new InvalidArgumentError({
      field: 'rows',
      expected: 'at least 2 reference rows',
      received: String(seen),
    });
  }
  return {
    model,
    version,
    rows: seen,
    features: features.map((feature, column): FeatureProfile => {
      if (feature.kind === 'numeric') {
        return {
          name: feature.name,
          kind: 'numeric',
          sample: [...samples[column]].sort((a, b) => a - b),
        };
      }
      const categories = [...counts[column].keys()].sort();
      return {
        name: feature.name,
        kind: 'categorical',
        categories,
        counts: categories.map((category) => counts[column].get(category)!),
      };
    }),
  };
}

/** Throws InvalidArgumentError unless the row has one value of the right kind per feature. */
export function checkRow(row: FeatureRow, features: readonly FeatureSpec[], index: number): void {
  if (row.length !== features.length) {
    throw new InvalidArgumentError({
      field: `rows[${index}]`,
      expected: `${features.length} values, one per feature`,
      received: `${row.length} values`,
    });
  }
  features.forEach((feature, column) => {
    const value = row[column];
    const ok =
      feature.kind === 'numeric'
        ? typeof value === 'number' && Number.isFinite(value)
        : typeof value === 'string' || typeof value === 'number';
    if (!ok) {
      throw new InvalidArgumentError({
        field: `rows[${index}][${column}] (${feature.name})`,
        expected: feature.kind === 'numeric' ? 'a finite number' : 'a category (string or number)',
        received: String(value),
      });
    }
  });
}
