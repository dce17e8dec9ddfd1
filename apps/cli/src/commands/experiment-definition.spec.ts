import fc from 'fast-check';
import { experimentsV1 } from '@verdict/proto';
import {
  experimentFromFlags,
  parseDurationMs,
  parseGuardrail,
  parseVariant,
  UsageError,
  type DefinitionFlags,
} from './experiment-definition';

const base: DefinitionFlags = {
  name: 'n',
  team: 't',
  model: 'm',
  variant: ['control=1', 'treatment=2'],
};

describe('experiment definition flags', () => {
  it('reads back every well-formed variant spec', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/);
    fc.assert(
      fc.property(
        name,
        fc.oneof(
          fc
            .bigInt({ min: 1n, max: 2n ** 53n })
            .map((v) => ({ case: 'version' as const, value: v })),
          name.map((a) => ({ case: 'alias' as const, value: a })),
        ),
        fc.option(fc.integer({ min: 0, max: 10_000 }), { nil: undefined }),
        (variantName, target, weight) => {
          const spec = `${variantName}=${target.case === 'version' ? target.value : `@${target.value}`}${weight === undefined ? '' : `:${weight}`}`;
          const variant = parseVariant(spec, 'pool-a', false);
          expect(variant).toMatchObject({
            name: variantName,
            target,
            pool: 'pool-a',
            weight: weight ?? 1,
            role: experimentsV1.VariantRole.TREATMENT,
          });
        },
      ),
    );
  });

  it('refuses any malformed flag value with a UsageError naming the flag, never another error', () => {
    const flagValue = fc.string({ maxLength: 20 });
    fc.assert(
      fc.property(
        fc.record(
          {
            variant: fc.array(flagValue, { maxLength: 3 }),
            guardrail: fc.array(flagValue, { maxLength: 2 }),
            interval: flagValue,
            alpha: flagValue,
            kind: flagValue,
            method: flagValue,
            'min-sample-size': flagValue,
            shadow: fc.array(flagValue, { maxLength: 2 }),
            'canary-step': flagValue,
          },
          { requiredKeys: [] },
        ),
        (flags) => {
          try {
            experimentFromFlags({ ...base, ...flags });
          } catch (error) {
            expect(error).toBeInstanceOf(UsageError);
            expect((error as Error).message).toMatch(/^--[a-z-]+: /);
          }
        },
      ),
    );
  });

  it('reads a ratio metric as NAME=NUMERATOR/DENOMINATOR', () => {
    const ratio = experimentFromFlags({
      ...base,
      metric: 'revenue_per_session=revenue/session',
      'metric-type': 'ratio',
    });
    expect(ratio.primaryMetric).toMatchObject({
      name: 'revenue_per_session',
      type: experimentsV1.MetricType.RATIO,
      numerator: 'revenue',
      denominator: 'session',
    });
    expect(() => experimentFromFlags({ ...base, metric: 'rps', 'metric-type': 'ratio' })).toThrow(
      UsageError,
    );
  });

  it('reads canary steps and shadow variants', () => {
    const canary = experimentFromFlags({
      ...base,
      kind: 'canary',
      'canary-step': '0.1',
      'canary-max-weight': '1',
      shadow: ['mirror=@next:0.25'],
    });
    expect(canary.kind).toBe(experimentsV1.ExperimentKind.CANARY);
    expect(canary.policy).toMatchObject({ canaryStep: 0.1, canaryMaxWeight: 1 });
    expect(canary.variants[2]).toMatchObject({
      name: 'mirror',
      target: { case: 'alias', value: 'next' },
      role: experimentsV1.VariantRole.SHADOW,
      shadowSampleRate: 0.25,
      weight: 0,
    });
    const shadowOnly = experimentFromFlags({
      ...base,
      kind: 'shadow',
      variant: ['primary=1'],
      shadow: ['mirror=2:1'],
    });
    expect(shadowOnly.variants.map((v) => [v.name, v.role])).toEqual([
      ['primary', experimentsV1.VariantRole.CONTROL],
      ['mirror', experimentsV1.VariantRole.SHADOW],
    ]);
    expect(() => experimentFromFlags({ ...base, shadow: ['mirror=2:1.5'] })).toThrow(
      '--shadow: expected NAME=VERSION:RATE or NAME=@ALIAS:RATE with RATE in [0, 1] (e.g. mirror=2:0.1), got "mirror=2:1.5"',
    );
    expect(() => experimentFromFlags({ ...base, 'canary-step': '0' })).toThrow(
      '--canary-step: expected a share of traffic in (0, 1], got "0"',
    );
  });

  it('reads durations and guardrails as documented', () => {
    expect(parseDurationMs('interval', '250ms')).toBe(250);
    expect(parseDurationMs('interval', '2h')).toBe(7_200_000);
    expect(() => parseDurationMs('interval', '2 hours')).toThrow(
      '--interval: expected a duration like 30s, 15m, 2h or 7d, got "2 hours"',
    );
    expect(parseGuardrail('latency:p95=0.1')).toMatchObject({
      metric: { name: 'latency', type: experimentsV1.MetricType.LATENCY, percentile: 95 },
      maxDegradation: 0.1,
      relative: true,
    });
    expect(parseGuardrail('revenue')).toMatchObject({
      metric: { name: 'revenue', type: experimentsV1.MetricType.CONTINUOUS },
      maxDegradation: 0.05,
      relative: true,
    });
    expect(() => parseGuardrail('latency:p100')).toThrow(
      '--guardrail: expected a percentile in (0, 100)',
    );
  });
});
