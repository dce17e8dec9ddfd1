/**
 * The JSON shapes behind `verdict stats compare --json` and `verdict stats srm --json`, so that
 * other engines can be cross-checked against Verdict's numbers. Field names are snake_case, as
 * on the command line; the input is checked field by field with {@link InvalidArgumentError}.
 */

import { InvalidArgumentError } from '@verdict/errors';
import { betaBinomialComparison, normalComparison } from './bayesian';
import { twoProportionZTest, welchTTest } from './frequentist';
import { sequentialMeanTest, sequentialProportionTest } from './sequential';
import { sampleRatioMismatch } from './srm';
import type { BinomialSummary, Comparison, MeanSummary } from './summary';

/** Input of {@link compare}. */
export interface CompareInput {
  readonly type: 'mean' | 'binomial';
  readonly control:
    { n: number; sum: number; sum_squares: number } | { n: number; successes: number };
  readonly treatment:
    { n: number; sum: number; sum_squares: number } | { n: number; successes: number };
  /** @default false */
  readonly relative?: boolean;
  /** @default 'frequentist' */
  readonly method?: 'frequentist' | 'sequential' | 'bayesian';
  /** @default 0.05 */
  readonly alpha?: number;
}

/** Output of {@link compare}; the last two fields only for method 'bayesian'. */
export interface CompareOutput {
  estimate: number;
  se: number;
  ci: [number, number];
  p_value: number;
  chance_to_win?: number;
  expected_loss?: [number, number];
}

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
      field: `${path}.${key}`,
      expected: 'a finite number',
      received: JSON.stringify(value) ?? 'nothing',
    });
  }
  return value;
}

function group(
  input: Record<string, unknown>,
  key: 'control' | 'treatment',
  type: 'mean' | 'binomial',
): MeanSummary | BinomialSummary {
  const value = input[key];
  if (!isRecord(value)) {
    throw new InvalidArgumentError({
      field: key,
      expected: 'an object',
      received: JSON.stringify(value) ?? 'nothing',
    });
  }
  const n = numberField(value, 'n', key);
  if (type === 'binomial') return { n, successes: numberField(value, 'successes', key) };
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

function output(result: Comparison): CompareOutput {
  return {
    estimate: result.estimate,
    se: result.se,
    ci: [result.ci[0], result.ci[1]],
    p_value: result.pValue,
  };
}

/** Compares treatment with control as `verdict stats compare --json` does. */
export function compare(input: unknown): CompareOutput {
  if (!isRecord(input))
    throw new InvalidArgumentError({
      field: 'input',
      expected: 'a JSON object',
      received: typeof input,
    });
  const type = choice(input, 'type', ['mean', 'binomial'] as const);
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
  const alpha = input.alpha === undefined ? 0.05 : numberField(input, 'alpha', 'input');
  const control = group(input, 'control', type);
  const treatment = group(input, 'treatment', type);
  const options = { alpha, relative };
  if (type === 'binomial') {
    const c = control as BinomialSummary;
    const t = treatment as BinomialSummary;
    if (method === 'frequentist') return output(twoProportionZTest(c, t, options));
    if (method === 'sequential') return output(sequentialProportionTest(c, t, options));
    const bayes = betaBinomialComparison(c, t, options);
    return {
      ...output(bayes),
      chance_to_win: bayes.chanceToWin,
      expected_loss: [bayes.expectedLoss[0], bayes.expectedLoss[1]],
    };
  }
  const c = control as MeanSummary;
  const t = treatment as MeanSummary;
  if (method === 'frequentist') return output(welchTTest(c, t, options));
  if (method === 'sequential') return output(sequentialMeanTest(c, t, options));
  const bayes = normalComparison(c, t, options);
  return {
    ...output(bayes),
    chance_to_win: bayes.chanceToWin,
    expected_loss: [bayes.expectedLoss[0], bayes.expectedLoss[1]],
  };
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
