import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { attributesFrom } from './request-attributes';
import { compileTargetingRule, meetsTargeting } from './targeting';

const { AttributeSource, TargetingOp } = experimentsV1;

function rule(init: MessageInitShape<typeof experimentsV1.TargetingRuleSchema>) {
  return compileTargetingRule(create(experimentsV1.TargetingRuleSchema, init), 'targeting[0]');
}

const country = (op: experimentsV1.TargetingOp, values: string[], negate = false) =>
  rule({ source: AttributeSource.METADATA, attribute: 'X-Country', op, values, negate });

const request = (headers: Record<string, string>, parameters = {}) =>
  attributesFrom({ headers, parameters, requestId: 'r' });

describe('targeting rules', () => {
  it('EQUALS compares a header, whose name is matched in lower case', () => {
    const rules = [country(TargetingOp.EQUALS, ['us'])];
    expect(meetsTargeting(rules, request({ 'x-country': 'us' }))).toBe(true);
    expect(meetsTargeting(rules, request({ 'x-country': 'US' }))).toBe(false);
    expect(meetsTargeting(rules, request({}))).toBe(false);
  });

  it('IN admits any listed value; negate inverts, admitting a missing attribute', () => {
    const notIn = [country(TargetingOp.IN, ['us', 'ca'], true)];
    expect(
      meetsTargeting([country(TargetingOp.IN, ['us', 'ca'])], request({ 'x-country': 'ca' })),
    ).toBe(true);
    expect(meetsTargeting(notIn, request({ 'x-country': 'ca' }))).toBe(false);
    expect(meetsTargeting(notIn, request({ 'x-country': 'de' }))).toBe(true);
    expect(meetsTargeting(notIn, request({}))).toBe(true);
  });

  it('PREFIX matches the start of the value', () => {
    const rules = [country(TargetingOp.PREFIX, ['eu-', 'uk'])];
    expect(meetsTargeting(rules, request({ 'x-country': 'eu-west' }))).toBe(true);
    expect(meetsTargeting(rules, request({ 'x-country': 'ukraine' }))).toBe(true);
    expect(meetsTargeting(rules, request({ 'x-country': 'us-eu-' }))).toBe(false);
  });

  it('RANGE reads numbers and numeric strings in [min, max); an unset bound is open', () => {
    const age = rule({
      source: AttributeSource.PARAMETER,
      attribute: 'age',
      op: TargetingOp.RANGE,
      min: 18,
      max: 65,
    });
    const at = (value: string | number | boolean) =>
      meetsTargeting([age], request({}, { age: value }));
    expect([at(18), at(64.9), at('30'), at(65), at(17), at('x'), at(''), at(true)]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
      false,
      false,
    ]);
    const adults = rule({
      source: AttributeSource.PARAMETER,
      attribute: 'age',
      op: TargetingOp.RANGE,
      min: 18,
    });
    expect(meetsTargeting([adults], request({}, { age: 1e9 }))).toBe(true);
  });

  it('reads parameters as strings for EQUALS (numbers and booleans in their JS form)', () => {
    const tier = rule({
      source: AttributeSource.PARAMETER,
      attribute: 'tier',
      op: TargetingOp.IN,
      values: ['2', 'true'],
    });
    expect(meetsTargeting([tier], request({}, { tier: 2 }))).toBe(true);
    expect(meetsTargeting([tier], request({}, { tier: true }))).toBe(true);
    expect(meetsTargeting([tier], request({}, { tier: 3 }))).toBe(false);
  });

  it('combines rules with AND; no rules admit everything', () => {
    const rules = [
      country(TargetingOp.EQUALS, ['us']),
      rule({
        source: AttributeSource.METADATA,
        attribute: 'x-plan',
        op: TargetingOp.EQUALS,
        values: ['pro'],
      }),
    ];
    expect(meetsTargeting(rules, request({ 'x-country': 'us', 'x-plan': 'pro' }))).toBe(true);
    expect(meetsTargeting(rules, request({ 'x-country': 'us', 'x-plan': 'free' }))).toBe(false);
    expect(meetsTargeting([], request({}))).toBe(true);
  });

  it.each([
    [{ source: 0, attribute: 'a', op: TargetingOp.EQUALS, values: ['x'] }, 'targeting[0].source'],
    [{ source: 1, attribute: '', op: TargetingOp.EQUALS, values: ['x'] }, 'targeting[0].attribute'],
    [{ source: 1, attribute: 'a', op: 0, values: ['x'] }, 'targeting[0].op'],
    [
      { source: 1, attribute: 'a', op: TargetingOp.EQUALS, values: ['x', 'y'] },
      'targeting[0].values',
    ],
    [{ source: 1, attribute: 'a', op: TargetingOp.IN, values: [] }, 'targeting[0].values'],
    [{ source: 1, attribute: 'a', op: TargetingOp.PREFIX, values: [] }, 'targeting[0].values'],
    [{ source: 2, attribute: 'a', op: TargetingOp.RANGE, min: 5, max: 5 }, 'targeting[0].max'],
    [{ source: 2, attribute: 'a', op: TargetingOp.RANGE, min: Number.NaN }, 'targeting[0].min'],
    [{ source: 2, attribute: 'a', op: TargetingOp.RANGE, max: Infinity }, 'targeting[0].max'],
    [
      { source: 2, attribute: 'a', op: TargetingOp.RANGE, min: 1, values: ['2'] },
      'targeting[0].values',
    ],
  ])('rejects the malformed rule %j naming %s', (init, field) => {
    const compile = () => rule(init as MessageInitShape<typeof experimentsV1.TargetingRuleSchema>);
    expect(compile).toThrow(InvalidArgumentError);
    expect(compile).toThrow(expect.objectContaining({ field }));
  });
});
