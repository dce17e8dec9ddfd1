import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { ParameterValue, RequestAttributes } from './request-attributes';

const { AttributeSource, TargetingOp } = experimentsV1;

/** A targeting rule checked once and turned into a fast predicate. */
export interface CompiledRule {
  readonly source: 'metadata' | 'parameter';
  /** Header (lower-cased) or parameter name. */
  readonly attribute: string;
  readonly negate: boolean;
  /** The comparison on a present attribute. */
  readonly test: (value: ParameterValue) => boolean;
}

/**
 * Checks a proto targeting rule and compiles it.
 *
 * EQUALS needs exactly one value, IN and PREFIX at least one; RANGE needs finite bounds with
 * `min < max` when both are set (an unset bound is open) and no values.
 *
 * @param rule - the rule as the table carries it
 * @param field - the rule's path in the table, used in error messages
 * @throws InvalidArgumentError naming the offending field
 */
export function compileTargetingRule(
  rule: experimentsV1.TargetingRule,
  field: string,
): CompiledRule {
  const source = sourceOf(rule.source, field);
  if (rule.attribute === '') {
    throw new InvalidArgumentError({
      field: `${field}.attribute`,
      expected: 'a header or parameter name',
      received: '""',
    });
  }
  const attribute = source === 'metadata' ? rule.attribute.toLowerCase() : rule.attribute;
  return { source, attribute, negate: rule.negate, test: comparisonOf(rule, field) };
}

/**
 * Whether a request meets every rule (AND). A rule on an attribute the request lacks is false
 * before `negate` applies, so a negated rule on a missing attribute holds: "country not in
 * [us]" admits requests without a country.
 */
export function meetsTargeting(rules: readonly CompiledRule[], attrs: RequestAttributes): boolean {
  for (const rule of rules) {
    const value =
      rule.source === 'metadata' ? attrs.header(rule.attribute) : attrs.parameter(rule.attribute);
    const matched = value !== undefined && rule.test(value);
    if (matched === rule.negate) return false;
  }
  return true;
}

function sourceOf(source: experimentsV1.AttributeSource, field: string): CompiledRule['source'] {
  if (source === AttributeSource.METADATA) return 'metadata';
  if (source === AttributeSource.PARAMETER) return 'parameter';
  throw new InvalidArgumentError({
    field: `${field}.source`,
    expected: 'ATTRIBUTE_SOURCE_METADATA or ATTRIBUTE_SOURCE_PARAMETER',
    received: String(source),
  });
}

function comparisonOf(
  rule: experimentsV1.TargetingRule,
  field: string,
): (value: ParameterValue) => boolean {
  switch (rule.op) {
    case TargetingOp.EQUALS:
    case TargetingOp.IN: {
      const single = rule.op === TargetingOp.EQUALS;
      if (single ? rule.values.length !== 1 : rule.values.length === 0) {
        throw new InvalidArgumentError({
          field: `${field}.values`,
          expected: single ? 'exactly one value for EQUALS' : 'at least one value for IN',
          received: `${rule.values.length} values`,
        });
      }
      const values = new Set(rule.values);
      return (value) => values.has(String(value));
    }
    case TargetingOp.PREFIX: {
      if (rule.values.length === 0) {
        throw new InvalidArgumentError({
          field: `${field}.values`,
          expected: 'at least one prefix',
          received: '0 values',
        });
      }
      const prefixes = [...rule.values];
      return (value) => {
        const text = String(value);
        return prefixes.some((prefix) => text.startsWith(prefix));
      };
    }
    case TargetingOp.RANGE:
      return rangeOf(rule, field);
    default:
      throw new InvalidArgumentError({
        field: `${field}.op`,
        expected: 'TARGETING_OP_EQUALS, _IN, _PREFIX or _RANGE',
        received: String(rule.op),
      });
  }
}

function rangeOf(
  rule: experimentsV1.TargetingRule,
  field: string,
): (value: ParameterValue) => boolean {
  for (const bound of ['min', 'max'] as const) {
    const limit = rule[bound];
    if (limit !== undefined && !Number.isFinite(limit)) {
      throw new InvalidArgumentError({
        field: `${field}.${bound}`,
        expected: 'a finite number or no bound',
        received: String(limit),
      });
    }
  }
  const min = rule.min ?? -Infinity;
  const max = rule.max ?? Infinity;
  if (!(min < max)) {
    throw new InvalidArgumentError({
      field: `${field}.max`,
      expected: `a bound above min (${min})`,
      received: String(max),
    });
  }
  if (rule.values.length > 0) {
    throw new InvalidArgumentError({
      field: `${field}.values`,
      expected: 'no values for RANGE (it uses min and max)',
      received: `${rule.values.length} values`,
    });
  }
  return (value) => {
    const number = numberOf(value);
    return number !== undefined && number >= min && number < max;
  };
}

/** A parameter or header read as a number: numbers as they are, numeric strings parsed. */
function numberOf(value: ParameterValue): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}
