import { clone, create } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { InvalidArgumentError, NotFoundError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable } from './compile-routing-table';
import { attributesFrom } from './request-attributes';
import { routeRequest } from './route-request';
import { abTable, experimentRoute, routeVariant } from './test-tables';

const { ExperimentKind, TargetingOp, AttributeSource } = experimentsV1;

type Table = experimentsV1.RoutingTable;

/** A copy of the valid A/B table changed by `change`. */
function changed(change: (table: Table) => void): Table {
  const table = clone(experimentsV1.RoutingTableSchema, abTable());
  change(table);
  return table;
}

const experiment = (table: Table) => table.models[0].experiments[0];

describe('compileRoutingTable', () => {
  it('compiles the valid table: pools, models, per-bucket variant map', () => {
    const compiled = compileRoutingTable(abTable());
    expect(compiled.version).toBe(7n);
    expect([...compiled.pools.keys()]).toEqual(['default', 'eu']);
    const [exp] = compiled.models.get('spam')!.experiments;
    expect(exp.variantOfBucket).toHaveLength(10_000);
    expect([exp.variantOfBucket[0], exp.variantOfBucket[4999], exp.variantOfBucket[5000]]).toEqual([
      0, 0, 1,
    ]);
    expect(exp.control.name).toBe('control');
    expect(exp.layerRange).toEqual({ start: 0, end: 10_000 });
    expect(compiled.fallback?.pool.name).toBe('default');
  });

  it('accepts a layer range of everything without a layer, and a variant on an alias or on neither', () => {
    const table = changed((t) => {
      experiment(t).layerRange = create(experimentsV1.BucketRangeSchema, { start: 0, end: 10_000 });
      experiment(t).variants[1].target = { case: 'alias', value: 'production' };
      t.models[0].defaultVariant!.target = { case: undefined };
    });
    const compiled = compileRoutingTable(table).models.get('spam')!;
    expect(compiled.experiments[0].variants[1]).toMatchObject({ alias: 'production' });
    expect(compiled.defaultVariant.version).toBeUndefined();
    expect(compiled.defaultVariant.alias).toBeUndefined();
  });

  const cases: [string, (table: Table) => void, string][] = [
    ['a repeated pool name', (t) => (t.pools[1].name = 'default'), 'pools[1].name'],
    ['a pool without endpoints', (t) => (t.pools[0].endpoints = []), 'pools[0].endpoints'],
    [
      'an endpoint without a port',
      (t) => (t.pools[1].endpoints[1] = 'localhost'),
      'pools[1].endpoints[1]',
    ],
    ['port 0', (t) => (t.pools[0].endpoints[0] = 'h:0'), 'pools[0].endpoints[0]'],
    ['port 70000', (t) => (t.pools[0].endpoints[0] = 'h:70000'), 'pools[0].endpoints[0]'],
    ['an empty model name', (t) => (t.models[0].model = ''), 'models[0].model'],
    [
      'a repeated model name',
      (t) =>
        t.models.push(clone(experimentsV1.ModelRouteSchema, { ...t.models[0], experiments: [] })),
      'models[1].model',
    ],
    [
      'no default variant',
      (t) => (t.models[0].defaultVariant = undefined),
      'models[0].default_variant',
    ],
    [
      'an unknown pool',
      (t) => (t.models[0].defaultVariant!.pool = 'us'),
      'models[0].default_variant.pool',
    ],
    [
      'a variant on an unknown pool',
      (t) => (experiment(t).variants[1].pool = 'nowhere'),
      'models[0].experiments[0].variants[1].pool',
    ],
    [
      'version 0',
      (t) => (experiment(t).variants[1].target = { case: 'version', value: 0n }),
      'models[0].experiments[0].variants[1].version',
    ],
    [
      'an empty alias',
      (t) => (experiment(t).variants[0].target = { case: 'alias', value: '' }),
      'models[0].experiments[0].variants[0].alias',
    ],
    [
      'an empty variant name',
      (t) => (experiment(t).variants[0].name = ''),
      'models[0].experiments[0].variants[0].name',
    ],
    [
      'a repeated variant name',
      (t) => (experiment(t).variants[1].name = 'control'),
      'models[0].experiments[0].variants[1].name',
    ],
    [
      'an empty experiment id',
      (t) => (experiment(t).experimentId = ''),
      'models[0].experiments[0].experiment_id',
    ],
    [
      'an experiment id used twice',
      (t) =>
        t.models.push(
          create(experimentsV1.ModelRouteSchema, {
            model: 'other',
            defaultVariant: routeVariant({ name: 'v', buckets: [] }),
            experiments: [clone(experimentsV1.ExperimentRouteSchema, experiment(t))],
          }),
        ),
      'models[1].experiments[0].experiment_id',
    ],
    [
      'no kind',
      (t) => (experiment(t).kind = ExperimentKind.UNSPECIFIED),
      'models[0].experiments[0].kind',
    ],
    ['an empty salt', (t) => (experiment(t).salt = ''), 'models[0].experiments[0].salt'],
    [
      'a bucket range past 10000',
      (t) => (experiment(t).variants[1].buckets[0].end = 10_001),
      'models[0].experiments[0].variants[1].buckets[0].end',
    ],
    [
      'an empty bucket range',
      (t) => (experiment(t).variants[1].buckets[0].end = 5000),
      'models[0].experiments[0].variants[1].buckets[0].end',
    ],
    [
      'a bucket range starting at 10000',
      (t) =>
        experiment(t).variants[1].buckets.push(
          create(experimentsV1.BucketRangeSchema, { start: 10_000, end: 10_001 }),
        ),
      'models[0].experiments[0].variants[1].buckets[1].start',
    ],
    [
      'overlapping bucket ranges',
      (t) => (experiment(t).variants[1].buckets[0].start = 4000),
      'models[0].experiments[0].variants[1].buckets[0]',
    ],
    [
      'a gap in the buckets',
      (t) => (experiment(t).variants[1].buckets[0].start = 6000),
      'models[0].experiments[0].variants',
    ],
    [
      'no control',
      (t) => (experiment(t).variants[0].control = false),
      'models[0].experiments[0].variants',
    ],
    [
      'two controls',
      (t) => (experiment(t).variants[1].control = true),
      'models[0].experiments[0].variants',
    ],
    ['no variants', (t) => (experiment(t).variants = []), 'models[0].experiments[0].variants'],
    [
      'a partial layer range without a layer',
      (t) =>
        (experiment(t).layerRange = create(experimentsV1.BucketRangeSchema, {
          start: 0,
          end: 5000,
        })),
      'models[0].experiments[0].layer_range',
    ],
    [
      'an empty layer range',
      (t) => {
        experiment(t).layer = 'l';
        experiment(t).layerRange = create(experimentsV1.BucketRangeSchema, { start: 10, end: 10 });
      },
      'models[0].experiments[0].layer_range.end',
    ],
    [
      'overlapping ranges of one layer',
      (t) => {
        const inLayer = (id: string, start: number, end: number) =>
          experimentRoute({
            experimentId: id,
            layer: 'ranking',
            layerRange: { start, end },
            variants: [{ name: 'c', control: true, buckets: [[0, 10_000]] }],
          });
        t.models[0].experiments = [
          inLayer('a', 0, 5000),
          inLayer('b', 6000, 10_000),
          inLayer('c', 4999, 6000),
        ];
      },
      'models[0].experiments[2].layer_range',
    ],
    [
      'a layer experiment without a range beside another in the same layer',
      (t) => {
        const inLayer = (id: string, range?: { start: number; end: number }) =>
          experimentRoute({
            experimentId: id,
            layer: 'ranking',
            ...(range ? { layerRange: range } : {}),
            variants: [{ name: 'c', control: true, buckets: [[0, 10_000]] }],
          });
        t.models[0].experiments = [inLayer('a', { start: 0, end: 10 }), inLayer('b')];
      },
      'models[0].experiments[1].layer',
    ],
    [
      'a shadow without a variant',
      (t) => (experiment(t).shadow = create(experimentsV1.ShadowRouteSchema, { sampleRate: 0.5 })),
      'models[0].experiments[0].shadow.variant',
    ],
    [
      'a shadow sample rate above 1',
      (t) =>
        (experiment(t).shadow = create(experimentsV1.ShadowRouteSchema, {
          variant: routeVariant({ name: 's', buckets: [] }),
          sampleRate: 1.5,
        })),
      'models[0].experiments[0].shadow.sample_rate',
    ],
    [
      'a shadow named like an answering variant',
      (t) =>
        (experiment(t).shadow = create(experimentsV1.ShadowRouteSchema, {
          variant: routeVariant({ name: 'treatment', buckets: [] }),
          sampleRate: 0.5,
        })),
      'models[0].experiments[0].shadow.variant.name',
    ],
    [
      'a shadow that is a control',
      (t) =>
        (experiment(t).shadow = create(experimentsV1.ShadowRouteSchema, {
          variant: routeVariant({ name: 's', control: true, buckets: [] }),
          sampleRate: 0.5,
        })),
      'models[0].experiments[0].shadow.variant.control',
    ],
    [
      'a malformed targeting rule',
      (t) =>
        experiment(t).targeting.push(
          create(experimentsV1.TargetingRuleSchema, {
            source: AttributeSource.METADATA,
            attribute: 'x',
            op: TargetingOp.IN,
          }),
        ),
      'models[0].experiments[0].targeting[0].values',
    ],
  ];

  it.each(cases)('rejects %s, naming %s', (_label, change, field) => {
    const compile = () => compileRoutingTable(changed(change));
    expect(compile).toThrow(InvalidArgumentError);
    expect(compile).toThrow(expect.objectContaining({ field }));
  });

  it('names the variant a bucket is shared with', () => {
    const table = changed((t) => (experiment(t).variants[1].buckets[0].start = 4000));
    expect(() => compileRoutingTable(table)).toThrow(
      'expected buckets disjoint from variants[0].buckets[0], got [4000, 10000) sharing bucket 4000',
    );
  });
});

/** Random tables, mostly malformed in some way, from small pools of names and numbers. */
const smallName = fc.constantFrom('', 'default', 'eu', 'a', 'b', 'c');
const bucket = fc.oneof(
  fc.integer({ min: -2, max: 10_002 }),
  fc.constantFrom(0, 5000, 10_000),
  fc.double(),
);
const anyVariant = fc.record({
  name: smallName,
  target: fc.oneof(
    fc.constant({ case: undefined }),
    fc.bigInt({ min: 0n, max: 3n }).map((value) => ({ case: 'version' as const, value })),
    fc.constantFrom('', 'prod').map((value) => ({ case: 'alias' as const, value })),
  ),
  pool: smallName,
  control: fc.boolean(),
  buckets: fc.array(fc.record({ start: bucket, end: bucket }), { maxLength: 3 }),
});
const anyRule = fc.record({
  source: fc.integer({ min: -1, max: 3 }),
  attribute: smallName,
  op: fc.integer({ min: -1, max: 5 }),
  values: fc.array(smallName, { maxLength: 2 }),
  min: fc.option(fc.double(), { nil: undefined }),
  max: fc.option(fc.double(), { nil: undefined }),
  negate: fc.boolean(),
});
const anyExperiment = fc.record({
  experimentId: smallName,
  kind: fc.integer({ min: -1, max: 6 }),
  enabled: fc.boolean(),
  salt: smallName,
  layer: fc.constantFrom('', 'l'),
  layerRange: fc.option(fc.record({ start: bucket, end: bucket }), { nil: undefined }),
  targeting: fc.array(anyRule, { maxLength: 2 }),
  variants: fc.array(anyVariant, { maxLength: 3 }),
  shadow: fc.option(
    fc.record({ variant: fc.option(anyVariant, { nil: undefined }), sampleRate: fc.double() }),
    {
      nil: undefined,
    },
  ),
  unitParameter: smallName,
});
const anyTable = fc.record({
  pools: fc.array(
    fc.record({
      name: smallName,
      region: smallName,
      endpoints: fc.array(fc.constantFrom('', 'h:1', 'h', 'h:0', '[::1]:9', 'h:65536', ':5'), {
        maxLength: 2,
      }),
    }),
    { maxLength: 3 },
  ),
  models: fc.array(
    fc.record({
      model: smallName,
      defaultVariant: fc.option(anyVariant, { nil: undefined }),
      experiments: fc.array(anyExperiment, { maxLength: 3 }),
    }),
    { maxLength: 3 },
  ),
});

describe('compileRoutingTable on random tables', () => {
  it('throws nothing but InvalidArgumentError naming a path under pools or models, and routes what it accepts', () => {
    let accepted = 0;
    fc.assert(
      fc.property(anyTable, (init) => {
        const table = create(experimentsV1.RoutingTableSchema, init as never);
        let compiled;
        try {
          compiled = compileRoutingTable(table);
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error;
          return /^(pools|models)\[\d+\]/.test(error.field);
        }
        accepted++;
        for (const model of ['a', 'b', 'missing']) {
          try {
            const decision = routeRequest(compiled, model, attributesFrom({ requestId: 'r' }));
            if (decision.variant === undefined || decision.variant.pool === undefined) return false;
          } catch (error) {
            if (!(error instanceof NotFoundError)) throw error;
          }
        }
        return true;
      }),
      { numRuns: 500 },
    );
    expect(accepted).toBeGreaterThan(0);
  });
});
