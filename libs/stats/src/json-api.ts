/**
 * The JSON shapes behind `verdict stats compare --json` and `verdict stats srm --json`, so that
 * other engines can be cross-checked against Verdict's numbers. Field names are snake_case, as
 * on the command line; the input is checked field by field with {@link InvalidArgumentError}.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { betaBinomialComparison, normalComparison, type BayesianComparison } from './bayesian';
import { twoProportionZTest, welchTTest } from './frequentist';
import { isInsufficient, type InsufficientData } from './insufficient';
import {
  ratioBayesianComparison,
  ratioSequentialTest,
  ratioTTest,
  type RatioSummary,
} from './ratio';
import { sequentialMeanTest, sequentialProportionTest } from './sequential';
import { sampleRatioMismatch } from './srm';
import type { BinomialSummary, Comparison, MeanSummary } from './summary';

/** One arm of {@link CompareInput}, by metric type. */
export type CompareArm =
  | { n: number; sum: number; sum_squares: number }
  | { n: number; successes: number }
  | {
      n: number;
      sum_y: number;
      sum_y_squares: number;
      sum_x: number;
      sum_x_squares: number;
      sum_xy: number;
    };

/** Input of {@link compare}. */
export interface CompareInput {
  /** 'ratio': per-unit sums of numerator y and denominator x (delta method). */
  readonly type: 'mean' | 'binomial' | 'ratio';
  readonly control: CompareArm;
  readonly treatment: CompareArm;
  /** @default false */
  readonly relative?: boolean;
  /** @default 'frequentist' */
  readonly method?: 'frequentist' | 'sequential' | 'bayesian';
  /** @default 0.05 */
  readonly alpha?: number;
  /** τ/σ of the sequential test's mixing distribution. @default 0.1 */
  readonly mixing_effect_size?: number;
}

/** Output of {@link compare}; the last two fields only for method 'bayesian'. */
export interface CompareOutput {
  status: 'ok';
  estimate: number;
  se: number;
  ci: [number, number];
  p_value: number;
  chance_to_win?: number;
  expected_loss?: [number, number];
}

/** Output of {@link compare} when the data cannot support the comparison (already snake_case). */
export type InsufficientOutput = InsufficientData;

/** Input of {@link srm}. */
export interface SrmInput {
  readonly counts: readonly number[];
  readonly weights: readonly number[];
}

/** Output of {@link srm}. */
export interface SrmOutput {
  chi2: number;
  p_value: number;
  mismatch: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberField(record: Record<string, unknown>, key: string, path: string): number {
  const value = record[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError({
      field: path === '' ? key : `${path}.${key}`,
      expected: 'a finite number',
      received: JSON.stringify(value) ?? 'nothing',
    });
  }
  return value;
}

type MetricKind = CompareInput['type'];
type Summary = MeanSummary | BinomialSummary | RatioSummary;

function group(
  input: Record<string, unknown>,
  key: 'control' | 'treatment',
  type: MetricKind,
): Summary {
  const value = input[key];
  if (!isRecord(value)) {
    throw new InvalidArgumentError({
      field: key,
      expected: 'an object',
      received: JSON.stringify(value) ?? 'nothing',
    });
  }
  const n = numberField(value, 'n', key);
  if (!(Number.isInteger(n) && n >= 0)) {
    throw new InvalidArgumentError({
      field: `${key}.n`,
      expected: 'a whole number ≥ 0',
      received: String(n),
    });
  }
  if (type === 'binomial') return { n, successes: numberField(value, 'successes', key) };
  if (type === 'ratio') {
    return {
      n,
      sumY: numberField(value, 'sum_y', key),
      sumYSquares: numberField(value, 'sum_y_squares', key),
      sumX: numberField(value, 'sum_x', key),
      sumXSquares: numberField(value, 'sum_x_squares', key),
      sumXY: numberField(value, 'sum_xy', key),
    };
  }
  return {
    n,
    sum: numberField(value, 'sum', key),
    sumSquares: numberField(value, 'sum_squares', key),
  };
}

function choice<T extends string>(
  input: Record<string, unknown>,
  key: string,
  allowed: readonly T[],
  fallback?: T,
): T {
  const value = input[key];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value))
    return value as T;
  throw new InvalidArgumentError({
    field: key,
    expected: `one of ${allowed.join(', ')}`,
    received: JSON.stringify(value) ?? 'nothing',
  });
}

function output(
  result: Comparison | BayesianComparison | InsufficientData,
): CompareOutput | InsufficientOutput {
  if (isInsufficient(result))
    return { status: result.status, field: result.field, reason: result.reason };
  const out: CompareOutput = {
    status: 'ok',
    estimate: result.estimate,
    se: result.se,
    ci: [result.ci[0], result.ci[1]],
    p_value: result.pValue,
  };
  if ('chanceToWin' in result) {
    out.chance_to_win = result.chanceToWin;
    out.expected_loss = [result.expectedLoss[0], result.expectedLoss[1]];
  }
  return out;
}

const TESTS = {
  binomial: {
    frequentist: twoProportionZTest,
    sequential: sequentialProportionTest,
    bayesian: betaBinomialComparison,
  },
  mean: { frequentist: welchTTest, sequential: sequentialMeanTest, bayesian: normalComparison },
  ratio: {
    frequentist: ratioTTest,
    sequential: ratioSequentialTest,
    bayesian: ratioBayesianComparison,
  },
} as const;

/**
 * Compares treatment with control as `verdict stats compare --json` does. Malformed input throws
 * {@link InvalidArgumentError} naming the field; input the test cannot estimate from (an empty
 * arm, no variance, a control mean near 0 for a relative effect) gives `insufficient data`.
 */
export function compare(input: unknown): CompareOutput | InsufficientOutput {
  if (!isRecord(input))
    throw new InvalidArgumentError({
      field: 'input',
      expected: 'a JSON object',
      received: typeof input,
    });
  const type = choice(input, 'type', ['mean', 'binomial', 'ratio'] as const);
  const method = choice(
    input,
    'method',
    ['frequentist', 'sequential', 'bayesian'] as const,
    'frequentist',
  );
  const relative = input.relative ?? false;
  if (typeof relative !== 'boolean') {
    throw new InvalidArgumentError({
      field: 'relative',
      expected: 'true or false',
      received: JSON.stringify(relative),
    });
  }
  const alpha = input.alpha === undefined ? 0.05 : numberField(input, 'alpha', '');
  const mixingEffectSize =
    input.mixing_effect_size === undefined
      ? undefined
      : numberField(input, 'mixing_effect_size', '');
  if (mixingEffectSize !== undefined && !(mixingEffectSize > 0)) {
    throw new InvalidArgumentError({
      field: 'mixing_effect_size',
      expected: 'a positive number',
      received: String(mixingEffectSize),
    });
  }
  const control = group(input, 'control', type);
  const treatment = group(input, 'treatment', type);
  const test = TESTS[type][method] as (
    c: Summary,
    t: Summary,
    o: object,
  ) => Comparison | InsufficientData;
  return output(test(control, treatment, { alpha, relative, mixingEffectSize }));
}

/** Sample-ratio-mismatch check as `verdict stats srm --json` does (threshold p < 0.001). */
export function srm(input: unknown): SrmOutput {
  if (!isRecord(input))
    throw new InvalidArgumentError({
      field: 'input',
      expected: 'a JSON object',
      received: typeof input,
    });
  const list = (key: string): number[] => {
    const value = input[key];
    if (!Array.isArray(value) || !value.every((v) => typeof v === 'number')) {
      throw new InvalidArgumentError({
        field: key,
        expected: 'an array of numbers',
        received: JSON.stringify(value) ?? 'nothing',
      });
    }
    return value as number[];
  };
  const result = sampleRatioMismatch(list('counts'), list('weights'));
  return { chi2: result.chi2, p_value: result.pValue, mismatch: result.mismatch };
}
