import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { compileRoutingTable, routeRequest, type RequestAttributes } from '@verdict/routing';
import { spamAb } from '../testing/analyzer-fixture';
import { buildRoutingTable } from './build-table';

const { ExperimentState, ExperimentKind, VariantRole } = experimentsV1;
const POOLS = [{ name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] }];

function experiment(
  id: string,
  state: experimentsV1.ExperimentState,
  init: Parameters<typeof spamAb>[0] = {},
): experimentsV1.Experiment {
  return spamAb({
    id,
    name: id,
    state,
    salt: `salt-${id}`,
    version: 3n,
    createTime: timestampFromMs(Number(id.replace(/\D/g, '')) * 1000),
    ...init,
  });
}

function build(
  experiments: experimentsV1.Experiment[],
  previous?: experimentsV1.RoutingTable,
): experimentsV1.RoutingTable {
  return buildRoutingTable({
    version: (previous?.version ?? 0n) + 1n,
    now: new Date(0),
    pools: POOLS,
    experiments,
    previous,
  });
}

function attrs(unit: string): RequestAttributes {
  return {
    header: (name) => (name === 'x-verdict-unit' ? unit : undefined),
    parameter: () => undefined,
    requestId: unit,
  };
}

describe('buildRoutingTable', () => {
  it('routes running experiments, disables paused ones, and leaves stopped ones and drafts out', () => {
    const table = build([
      experiment('e1', ExperimentState.RUNNING),
      experiment('e2', ExperimentState.PAUSED, { model: 'other' }),
      experiment('e3', ExperimentState.STOPPED, { model: 'third' }),
      experiment('e4', ExperimentState.DRAFT, { model: 'draft' }),
    ]);
    compileRoutingTable(table);
    expect(table.models.map((m) => [m.model, m.experiments.map((e) => e.enabled)])).toEqual([
      ['other', [false]],
      ['spam', [true]],
      ['third', []],
    ]);
    // A stopped experiment's control answers its model.
    expect(table.models[2]!.defaultVariant).toMatchObject({ name: 'control', control: true });
    const route = table.models[1]!.experiments[0]!;
    expect(route).toMatchObject({ experimentId: 'e1', salt: 'salt-e1', experimentVersion: 3n });
    expect(route.variants.map((v) => [v.name, v.control, v.buckets])).toEqual([
      ['control', true, [expect.objectContaining({ start: 0, end: 5000 })]],
      ['treatment', false, [expect.objectContaining({ start: 5000, end: 10_000 })]],
    ]);
    expect(table.pools).toEqual([expect.objectContaining(POOLS[0])]);
  });

  it('lets a new experiment on a model have every unit once the earlier one is stopped', () => {
    const stopped = experiment('e1', ExperimentState.STOPPED);
    const next = experiment('e2', ExperimentState.RUNNING);
    next.createTime = { seconds: 2_000_000_000n, nanos: 0 } as never;
    const table = compileRoutingTable(build([stopped, next]));
    const experiments = new Set<string | undefined>();
    for (let i = 0; i < 200; i++) {
      const decision = routeRequest(table, 'spam', attrs(`user-${i}`), {
        unitHeader: 'x-verdict-unit',
      });
      experiments.add(decision.experiment?.id);
    }
    expect([...experiments]).toEqual(['e2']);
  });

  it('keeps the layout across a weight change so only the units that must move do', () => {
    const running = experiment('e1', ExperimentState.RUNNING);
    const first = build([running]);
    const changed = experiment('e1', ExperimentState.RUNNING);
    changed.variants[0]!.weight = 60;
    changed.variants[1]!.weight = 40;
    const second = build([changed], first);
    const before = compileRoutingTable(first);
    const after = compileRoutingTable(second);
    let moved = 0;
    let controlLeft = 0;
    for (let i = 0; i < 20_000; i++) {
      const a = routeRequest(before, 'spam', attrs(`user-${i}`), { unitHeader: 'x-verdict-unit' });
      const b = routeRequest(after, 'spam', attrs(`user-${i}`), { unitHeader: 'x-verdict-unit' });
      if (a.variant.name !== b.variant.name) moved += 1;
      if (a.variant.name === 'control' && b.variant.name !== 'control') controlLeft += 1;
    }
    expect(controlLeft).toBe(0);
    expect(moved / 20_000).toBeGreaterThan(0.08);
    expect(moved / 20_000).toBeLessThan(0.12);
  });

  it('drops a concluded experiment and makes its winner the default; a pause keeps the layout for the restart', () => {
    const concluded = experiment('e1', ExperimentState.CONCLUDED, {
      winner: 'treatment',
      endTime: timestampFromMs(5000),
    });
    const table = build([concluded]);
    expect(table.models[0]).toMatchObject({
      model: 'spam',
      experiments: [],
      defaultVariant: { name: 'treatment', target: { case: 'version', value: 2n } },
    });
    const noWinner = build([experiment('e1', ExperimentState.CONCLUDED)]);
    expect(noWinner.models[0]!.defaultVariant!.name).toBe('control');

    const shifted = experiment('e1', ExperimentState.RUNNING);
    shifted.variants[0]!.weight = 70;
    shifted.variants[1]!.weight = 30;
    const running = build([shifted], build([experiment('e1', ExperimentState.RUNNING)]));
    const paused = build(
      [experiment('e1', ExperimentState.PAUSED, { variants: shifted.variants })],
      running,
    );
    expect(paused.models[0]!.experiments[0]!.variants).toEqual(
      running.models[0]!.experiments[0]!.variants,
    );
  });

  it('gives a shadow experiment its shadow route and defaults a model to its newest routing experiment', () => {
    const shadow = experiment('e2', ExperimentState.RUNNING, { kind: ExperimentKind.SHADOW });
    shadow.variants = [
      shadow.variants[0]!,
      create(experimentsV1.VariantSchema, {
        name: 'candidate',
        target: { case: 'alias', value: 'staging' },
        pool: 'default',
        role: VariantRole.SHADOW,
        shadowSampleRate: 0.25,
      }),
    ];
    shadow.variants[0]!.name = 'primary';
    const older = experiment('e1', ExperimentState.CONCLUDED, { winner: 'treatment' });
    const table = build([older, shadow]);
    compileRoutingTable(table);
    const model = table.models[0]!;
    expect(model.defaultVariant!.name).toBe('primary');
    expect(model.experiments[0]!.shadow).toMatchObject({
      sampleRate: 0.25,
      variant: { name: 'candidate', target: { case: 'alias', value: 'staging' }, control: false },
    });
    expect(model.experiments[0]!.variants.map((v) => v.name)).toEqual(['primary']);
  });
});
