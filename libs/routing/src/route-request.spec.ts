import { create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { InvalidArgumentError, NotFoundError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { layoutBuckets } from './bucket-layout';
import { compileRoutingTable } from './compile-routing-table';
import { attributesFrom } from './request-attributes';
import { defaultVariantFor, routeRequest, shouldShadow } from './route-request';
import { abTable, experimentRoute, routeVariant } from './test-tables';
import { unitBucket } from './unit-hash';

const { AttributeSource, ExperimentKind, TargetingOp } = experimentsV1;

const unit = (id: string, extra: Record<string, string> = {}) =>
  attributesFrom({ headers: { 'x-verdict-unit': id, ...extra }, requestId: `req-${id}` });

const half = (id: string, control = true) => ({
  name: `${id}-${control ? 'control' : 'treatment'}`,
  control,
  buckets: (control ? [[0, 5000]] : [[5000, 10000]]) as [number, number][],
});

describe('routeRequest', () => {
  const table = compileRoutingTable(abTable());

  it('picks the variant whose buckets hold unitBucket(salt, unit), and reports the experiment', () => {
    const decision = routeRequest(table, 'spam', unit('user-1'));
    const bucket = unitBucket('salt-1', 'user-1');
    expect(decision.variant.name).toBe(bucket < 5000 ? 'control' : 'treatment');
    expect(decision).toMatchObject({
      tableVersion: 7n,
      model: 'spam',
      unitId: 'user-1',
      control: { name: 'control', version: 1n, control: true },
      experiment: { id: 'exp-1', kind: ExperimentKind.AB, failoverToControl: false },
    });
    expect(decision.variant.pool).toEqual({
      name: 'default',
      region: 'local',
      endpoints: ['127.0.0.1:50052'],
    });
  });

  it('routes both variants and each unit always to the same one', () => {
    const seen = new Set<string>();
    for (let id = 0; id < 200; id++) {
      const first = routeRequest(table, 'spam', unit(`u${id}`)).variant.name;
      expect(routeRequest(table, 'spam', unit(`u${id}`)).variant.name).toBe(first);
      seen.add(first);
    }
    expect([...seen].sort()).toEqual(['control', 'treatment']);
  });

  it('takes the unit from the header, else the unit parameter, else the request id', () => {
    const withParameter = compileRoutingTable(
      abTable([
        experimentRoute({ unitParameter: 'user_id', variants: [half('a'), half('a', false)] }),
      ]),
    );
    const both = attributesFrom({
      headers: { 'x-verdict-unit': 'h' },
      parameters: { user_id: 42 },
      requestId: 'r',
    });
    expect(routeRequest(withParameter, 'spam', both).unitId).toBe('h');
    const parameter = attributesFrom({ parameters: { user_id: 42 }, requestId: 'r' });
    expect(routeRequest(withParameter, 'spam', parameter).unitId).toBe('42');
    expect(routeRequest(withParameter, 'spam', attributesFrom({ requestId: 'r' })).unitId).toBe(
      'r',
    );
    expect(routeRequest(table, 'spam', parameter).unitId).toBe('r');
  });

  it('treats an empty unit header or parameter as absent', () => {
    const withParameter = compileRoutingTable(
      abTable([
        experimentRoute({ unitParameter: 'user_id', variants: [half('a'), half('a', false)] }),
      ]),
    );
    const empty = attributesFrom({
      headers: { 'x-verdict-unit': '' },
      parameters: { user_id: '' },
      requestId: 'r',
    });
    expect(routeRequest(withParameter, 'spam', empty).unitId).toBe('r');
  });

  it('reads the unit from the header named in the options, in lower case', () => {
    const attrs = attributesFrom({ headers: { 'x-user': 'u1' }, requestId: 'r' });
    expect(routeRequest(table, 'spam', attrs, { unitHeader: 'X-User' }).unitId).toBe('u1');
  });

  it('reads the unit from the header named in the options', () => {
    const attrs = attributesFrom({
      headers: { 'x-user': 'u1', 'x-verdict-unit': 'other' },
      requestId: 'r',
    });
    expect(routeRequest(table, 'spam', attrs, { unitHeader: 'x-user' }).unitId).toBe('u1');
  });

  it('sends every request of a disabled experiment to its control, outside the experiment', () => {
    const off = compileRoutingTable(
      abTable([experimentRoute({ enabled: false, variants: [half('a'), half('a', false)] })]),
    );
    for (let id = 0; id < 100; id++) {
      const decision = routeRequest(off, 'spam', unit(`u${id}`));
      expect(decision.variant.name).toBe('a-control');
      expect(decision.experiment).toBeUndefined();
    }
  });

  it('sends a request that fails targeting to the default variant, outside the experiment', () => {
    const targeted = compileRoutingTable(
      abTable([
        experimentRoute({
          targeting: [
            {
              source: AttributeSource.METADATA,
              attribute: 'x-country',
              op: TargetingOp.EQUALS,
              values: ['us'],
            },
          ],
          variants: [half('a'), half('a', false)],
        }),
      ]),
    );
    const outside = routeRequest(targeted, 'spam', unit('u1', { 'x-country': 'de' }));
    expect(outside.variant.name).toBe('stable');
    expect(outside.experiment).toBeUndefined();
    expect(outside.control).toBe(outside.variant);
    expect(routeRequest(targeted, 'spam', unit('u1', { 'x-country': 'us' })).experiment?.id).toBe(
      'exp-1',
    );
  });

  it('lets a request that fails one experiment targeting enter a later one', () => {
    const byCountry = (id: string, country: string) =>
      experimentRoute({
        experimentId: id,
        salt: id,
        targeting: [
          {
            source: AttributeSource.METADATA,
            attribute: 'x-country',
            op: TargetingOp.EQUALS,
            values: [country],
          },
        ],
        variants: [half(id), half(id, false)],
      });
    const two = compileRoutingTable(
      abTable([byCountry('us-test', 'us'), byCountry('de-test', 'de')]),
    );
    expect(routeRequest(two, 'spam', unit('u1', { 'x-country': 'de' })).experiment?.id).toBe(
      'de-test',
    );
    expect(routeRequest(two, 'spam', unit('u1', { 'x-country': 'us' })).experiment?.id).toBe(
      'us-test',
    );
    expect(routeRequest(two, 'spam', unit('u1', { 'x-country': 'fr' })).experiment).toBeUndefined();
  });

  it('puts each unit in exactly one of the experiments sharing a layer, by unitBucket(layer, unit)', () => {
    const inLayer = (id: string, start: number, end: number) =>
      experimentRoute({
        experimentId: id,
        salt: id,
        layer: 'ranking',
        layerRange: { start, end },
        variants: [half(id), half(id, false)],
      });
    const layered = compileRoutingTable(
      abTable([inLayer('first', 0, 3000), inLayer('second', 3000, 10000)]),
    );
    const counts = { first: 0, second: 0 };
    let misplaced = 0;
    for (let id = 0; id < 10_000; id++) {
      const decision = routeRequest(layered, 'spam', unit(`u${id}`));
      const expected = unitBucket('ranking', `u${id}`) < 3000 ? 'first' : 'second';
      if (decision.experiment?.id !== expected) misplaced++;
      counts[expected]++;
    }
    expect(misplaced).toBe(0);
    expect(Math.abs(counts.first / 10_000 - 0.3)).toBeLessThan(0.02);
  });

  it('sends units outside every layer range to the default variant', () => {
    const partial = compileRoutingTable(
      abTable([
        experimentRoute({
          layer: 'l',
          layerRange: { start: 0, end: 1000 },
          variants: [half('a'), half('a', false)],
        }),
      ]),
    );
    let outside = 0;
    for (let id = 0; id < 2000; id++) {
      const decision = routeRequest(partial, 'spam', unit(`u${id}`));
      const inRange = unitBucket('l', `u${id}`) < 1000;
      expect(decision.experiment === undefined).toBe(!inRange);
      if (!inRange) {
        outside++;
        expect(decision.variant.name).toBe('stable');
      }
    }
    expect(outside).toBeGreaterThan(1500);
  });

  it('reports the shadow target and failover of the experiment', () => {
    const shadowed = abTable([
      experimentRoute({
        kind: ExperimentKind.SHADOW,
        failoverToControl: true,
        shadow: {
          variant: routeVariant({ name: 'shadow', version: 3n, pool: 'eu', buckets: [] }),
          sampleRate: 0.25,
        },
        variants: [{ name: 'primary', control: true, buckets: [[0, 10000]] }],
      }),
    ]);
    const decision = routeRequest(compileRoutingTable(shadowed), 'spam', unit('u1'));
    expect(decision.variant.name).toBe('primary');
    expect(decision.experiment).toMatchObject({
      kind: ExperimentKind.SHADOW,
      failoverToControl: true,
      shadow: {
        sampleRate: 0.25,
        variant: { name: 'shadow', version: 3n, pool: { name: 'eu', region: 'eu-west' } },
      },
    });
  });

  it('sends a model without a route to the "default" pool, with no version', () => {
    const decision = routeRequest(table, 'other-model', attributesFrom({ requestId: 'r1' }));
    expect(decision.variant).toEqual({
      name: 'default',
      control: true,
      pool: { name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] },
    });
    expect(decision.experiment).toBeUndefined();
    expect(decision.unitId).toBe('r1');
    expect(defaultVariantFor(table, 'other-model')).toBe(decision.variant);
    expect(defaultVariantFor(table, 'spam').name).toBe('stable');
  });

  it('fails NOT_FOUND naming model_name when there is neither a route nor a "default" pool', () => {
    const noDefault = create(experimentsV1.RoutingTableSchema, {
      pools: [{ name: 'main', region: 'r', endpoints: ['h:1'] }],
      models: [
        {
          model: 'spam',
          defaultVariant: routeVariant({ name: 'stable', pool: 'main', buckets: [] }),
        },
      ],
    });
    const route = () => routeRequest(compileRoutingTable(noDefault), 'other', attributesFrom({}));
    expect(route).toThrow(NotFoundError);
    expect(route).toThrow("model_name 'other' not found (available: spam)");
  });
});

describe('shouldShadow', () => {
  it('never copies at rate 0 and always at rate 1', () => {
    for (let id = 0; id < 1000; id++) {
      expect(shouldShadow(0, `r${id}`)).toBe(false);
      expect(shouldShadow(1, `r${id}`)).toBe(true);
    }
  });

  it('copies about the sampled fraction, the same way for the same request id', () => {
    let copied = 0;
    let inconsistent = 0;
    for (let id = 0; id < 20_000; id++) {
      const sampled = shouldShadow(0.25, `r${id}`);
      if (shouldShadow(0.25, `r${id}`) !== sampled) inconsistent++;
      if (sampled !== unitBucket('shadow', `r${id}`) < 2500) inconsistent++;
      if (sampled) copied++;
    }
    expect(inconsistent).toBe(0);
    expect(Math.abs(copied / 20_000 - 0.25)).toBeLessThan(0.015);
  });
});

describe('compiled tables', () => {
  it('are rejected with InvalidArgumentError before routing sees them', () => {
    const broken = abTable([experimentRoute({ variants: [half('a')] })]);
    expect(() => compileRoutingTable(broken)).toThrow(InvalidArgumentError);
  });
});

describe('routeRequest on random valid tables', () => {
  it('gives every unit the variant whose laid-out buckets hold unitBucket(salt, unit)', () => {
    const weights = fc
      .array(fc.integer({ min: 0, max: 20 }), { minLength: 1, maxLength: 5 })
      .filter((w) => w.some((one) => one > 0));
    fc.assert(
      fc.property(
        weights,
        fc.string(),
        fc.array(fc.string(), { minLength: 1, maxLength: 20 }),
        (w, salt, units) => {
          const layout = layoutBuckets(
            undefined,
            w.map((weight, index) => ({ name: `v${index}`, weight })),
          );
          const table = compileRoutingTable(
            abTable([
              experimentRoute({
                salt: `s${salt}`,
                variants: w.map((_, index) => ({
                  name: `v${index}`,
                  control: index === 0,
                  buckets: layout
                    .get(`v${index}`)!
                    .map((span): [number, number] => [span.start, span.end]),
                })),
              }),
            ]),
          );
          return units.every((id) => {
            const decision = routeRequest(table, 'spam', unit(id === '' ? 'x' : id));
            const bucket = unitBucket(`s${salt}`, decision.unitId);
            return (
              decision.experiment?.id === 'exp-1' &&
              layout
                .get(decision.variant.name)!
                .some((span) => bucket >= span.start && bucket < span.end)
            );
          });
        },
      ),
      { numRuns: 200 },
    );
  });
});
