import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { toJson } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { stringify as stringifyYaml } from 'yaml';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable } from './compile-routing-table';
import { parseRoutingTableText } from './parse-routing-table';
import { abTable } from './test-tables';

const { ExperimentKind } = experimentsV1;

/** The dev stack's demo: spam:1 control, spam:2 treatment, 50/50, written with weights. */
const demoYaml = (controlWeight: number, treatmentWeight: number) => `
version: 2
pools:
  - name: default
    region: local
    endpoints: ["127.0.0.1:50052"]
models:
  - model: spam
    default_variant: { name: control, version: 1, pool: default }
    experiments:
      - experiment_id: spam-demo
        kind: EXPERIMENT_KIND_AB
        enabled: true
        salt: spam-demo
        variants:
          - { name: control, version: 1, pool: default, control: true, weight: ${controlWeight} }
          - { name: treatment, version: 2, pool: default, weight: ${treatmentWeight} }
        shadow:
          variant: { name: spam-3, version: 3, pool: default, weight: 7 }
          sample_rate: 0.1
`;

const bucketsOf = (table: experimentsV1.RoutingTable, variant: number) =>
  table.models[0].experiments[0].variants[variant].buckets.map(({ start, end }) => [start, end]);

describe('parseRoutingTableText', () => {
  it('reads the proto3 JSON form back to the same table', () => {
    const table = abTable();
    const text = JSON.stringify(toJson(experimentsV1.RoutingTableSchema, table));
    expect(parseRoutingTableText(text, 'json')).toEqual(table);
  });

  it('reads YAML of the same shape, with weights laid out as buckets', () => {
    const table = parseRoutingTableText(demoYaml(50, 50), 'yaml');
    expect(table.version).toBe(2n);
    expect(table.models[0].experiments[0].kind).toBe(ExperimentKind.AB);
    expect(bucketsOf(table, 0)).toEqual([[0, 5000]]);
    expect(bucketsOf(table, 1)).toEqual([[5000, 10000]]);
    expect(table.models[0].experiments[0].shadow?.variant?.name).toBe('spam-3');
    expect(() => compileRoutingTable(table)).not.toThrow();
  });

  it('starts a weight edit from the previous table, so only what must move moves', () => {
    const previous = parseRoutingTableText(demoYaml(50, 50), 'yaml');
    const table = parseRoutingTableText(demoYaml(60, 40), 'yaml', previous);
    expect(bucketsOf(table, 0)).toEqual([
      [0, 5000],
      [9000, 10000],
    ]);
    expect(bucketsOf(table, 1)).toEqual([[5000, 9000]]);
    const fresh = parseRoutingTableText(demoYaml(60, 40), 'yaml');
    expect(bucketsOf(fresh, 0)).toEqual([[0, 6000]]);
  });

  it.each([
    ['{"pools": [', 'json', '(document)'],
    ['pools: [\n  - name: a\n bad', 'yaml', '(document)'],
    ['[1, 2]', 'json', '(document)'],
    ['{"version": "x"}', 'json', 'version'],
    ['{"pools": [{"name": "a", "endpoint": ["h:1"]}]}', 'json', 'pools[0].endpoint'],
    [
      '{"models": [{"model": "m", "experiments": [{"kind": "EXPERIMENT_KIND_ABC"}]}]}',
      'json',
      'models[0].experiments[0].kind',
    ],
    [
      '{"models": [{"experiments": [{"variants": [{"name": "a", "buckets": [{"start": 1, "end": -1}]}]}]}]}',
      'json',
      'models[0].experiments[0].variants[0].buckets[0].end',
    ],
    [
      'models:\n  - defaultVariant: {name: a, version: v1}\n',
      'yaml',
      'models[0].default_variant.version',
    ],
    ['createTime: yesterday\n', 'yaml', 'create_time'],
    [
      'models:\n  - experiments:\n      - variants: [{name: a, weight: 1}, {name: b}]\n',
      'yaml',
      'models[0].experiments[0].variants[1].weight',
    ],
    [
      'models:\n  - experiments:\n      - variants: [{name: a, weight: 1}, {name: b, weight: -2}]\n',
      'yaml',
      'models[0].experiments[0].variants[1].weight',
    ],
    [
      'models:\n  - experiments:\n      - variants: [{name: a, weight: 1, buckets: []}]\n',
      'yaml',
      'models[0].experiments[0].variants[0].buckets',
    ],
    [
      'models:\n  - experiments:\n      - variants: [{name: a, weight: 0}, {name: b, weight: 0}]\n',
      'yaml',
      'models[0].experiments[0].variants',
    ],
    [
      'models:\n  - experiments:\n      - variants: [{name: a, weight: 1}, {name: a, weight: 1}]\n',
      'yaml',
      'models[0].experiments[0].variants[1].name',
    ],
  ] as const)('rejects %j (%s) naming %s', (text, format, field) => {
    const parse = () => parseRoutingTableText(text, format);
    expect(parse).toThrow(InvalidArgumentError);
    expect(parse).toThrow(expect.objectContaining({ field }));
  });

  it('throws nothing but InvalidArgumentError on arbitrary JSON and YAML', () => {
    const anyJson = fc.jsonValue();
    const tableLike = fc.record(
      {
        version: fc.oneof(fc.integer(), fc.string()),
        pools: fc.array(
          fc.dictionary(fc.constantFrom('name', 'region', 'endpoints', 'x'), anyJson),
          { maxLength: 2 },
        ),
        models: fc.array(
          fc.record(
            {
              model: fc.string(),
              experiments: fc.array(
                fc.record(
                  {
                    experiment_id: fc.string(),
                    variants: fc.array(
                      fc.dictionary(
                        fc.constantFrom('name', 'weight', 'buckets', 'version', 'alias'),
                        anyJson,
                      ),
                      { maxLength: 3 },
                    ),
                    shadow: anyJson,
                  },
                  { requiredKeys: [] },
                ),
                { maxLength: 2 },
              ),
            },
            { requiredKeys: [] },
          ),
          { maxLength: 2 },
        ),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(fc.oneof(anyJson, tableLike), fc.boolean(), (value, asYaml) => {
        const text = asYaml ? stringifyYaml(value) : JSON.stringify(value);
        try {
          parseRoutingTableText(text, asYaml ? 'yaml' : 'json');
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error;
        }
      }),
      { numRuns: 300 },
    );
    fc.assert(
      fc.property(fc.string(), (text) => {
        try {
          parseRoutingTableText(text, 'yaml');
        } catch (error) {
          if (!(error instanceof InvalidArgumentError)) throw error;
        }
      }),
    );
  });
});

describe('docs/routing.md', () => {
  it('shows a table file example that parses and compiles', () => {
    const docs = readFileSync(join(__dirname, '../../../docs/routing.md'), 'utf8');
    const section = docs.slice(docs.indexOf('## Routing-table files'));
    const example = /```yaml\n([\s\S]*?)```/.exec(section);
    expect(example).not.toBeNull();
    const compiled = compileRoutingTable(parseRoutingTableText(example![1], 'yaml'));
    expect(compiled.models.get('spam')?.experiments[0].variants.map((v) => v.name)).toEqual([
      'control',
      'treatment',
    ]);
  });
});
