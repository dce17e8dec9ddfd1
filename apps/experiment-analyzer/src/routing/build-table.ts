import { create } from '@bufbuild/protobuf';
import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { layoutBuckets, layoutOf } from '@verdict/routing';
import type { PoolConfig } from '../config';

type Experiment = experimentsV1.Experiment;
type Variant = experimentsV1.Variant;
type RouteVariant = experimentsV1.RouteVariant;

const { ExperimentState, VariantRole } = experimentsV1;

/** What a routing table is built from. */
export interface TableInput {
  /** Version the new table gets. */
  version: bigint;
  now: Date;
  pools: readonly PoolConfig[];
  /** Every experiment, in any state and order. */
  experiments: readonly Experiment[];
  /** The table in force, whose bucket layouts the new one keeps where weights allow. */
  previous: experimentsV1.RoutingTable | undefined;
  /**
   * Versions that registry aliases point at, by {@link aliasKey}; a variant whose alias is
   * here is routed to that version, any other alias variant is forwarded with its alias.
   */
  aliases?: ReadonlyMap<string, bigint>;
}

/** Key of a model's alias in {@link TableInput.aliases}. */
export function aliasKey(model: string, alias: string): string {
  return `${model}@${alias}`;
}

type Aliases = ReadonlyMap<string, bigint>;

function targetOf(model: string, variant: Variant, aliases: Aliases) {
  if (variant.target.case === 'version') {
    return { case: 'version' as const, value: variant.target.value };
  }
  if (variant.target.case === 'alias') {
    const version = aliases.get(aliasKey(model, variant.target.value));
    return version === undefined
      ? { case: 'alias' as const, value: variant.target.value }
      : { case: 'version' as const, value: version };
  }
  return { case: undefined };
}

function routeVariant(
  model: string,
  variant: Variant,
  buckets: readonly { start: number; end: number }[],
  aliases: Aliases,
) {
  return create(experimentsV1.RouteVariantSchema, {
    name: variant.name,
    target: targetOf(model, variant, aliases),
    pool: variant.pool,
    buckets: buckets.map((span) => ({ start: span.start, end: span.end })),
    control: variant.role === VariantRole.CONTROL,
  });
}

/** The control of an experiment (validation guarantees exactly one). */
export function controlOf(experiment: Experiment): Variant {
  const control = experiment.variants.find((variant) => variant.role === VariantRole.CONTROL);
  if (control === undefined) throw new Error(`experiment ${experiment.id} has no control`);
  return control;
}

/** Variants that answer requests (everything but shadows), in definition order. */
export function answeringVariants(experiment: Experiment): Variant[] {
  return experiment.variants.filter((variant) => variant.role !== VariantRole.SHADOW);
}

function previousRoutes(table: experimentsV1.RoutingTable | undefined) {
  const routes = new Map<string, experimentsV1.ExperimentRoute>();
  for (const model of table?.models ?? []) {
    for (const route of model.experiments) routes.set(route.experimentId, route);
  }
  return routes;
}

/**
 * The route of a running, paused or stopped experiment: buckets laid out from its weights,
 * starting from its previous layout so a weight change moves only the units that must move.
 */
function experimentRoute(
  experiment: Experiment,
  previous: experimentsV1.ExperimentRoute | undefined,
  aliases: Aliases,
): experimentsV1.ExperimentRoute {
  const answering = answeringVariants(experiment);
  const layout = layoutBuckets(
    previous === undefined ? undefined : layoutOf(previous.variants),
    answering.map((variant) => ({ name: variant.name, weight: variant.weight })),
  );
  const shadow = experiment.variants.find((variant) => variant.role === VariantRole.SHADOW);
  return create(experimentsV1.ExperimentRouteSchema, {
    experimentId: experiment.id,
    kind: experiment.kind,
    enabled: experiment.state === ExperimentState.RUNNING,
    salt: experiment.salt,
    layer: experiment.layer,
    ...(experiment.layerRange === undefined ? {} : { layerRange: experiment.layerRange }),
    targeting: experiment.targeting,
    variants: answering.map((variant) =>
      routeVariant(experiment.model, variant, layout.get(variant.name) ?? [], aliases),
    ),
    ...(shadow === undefined
      ? {}
      : {
          shadow: {
            variant: routeVariant(experiment.model, shadow, [], aliases),
            sampleRate: shadow.shadowSampleRate,
          },
        }),
    unitParameter: experiment.unitParameter,
    failoverToControl: experiment.failoverToControl,
    experimentVersion: experiment.version,
  });
}

function timeOf(timestamp: { seconds: bigint; nanos: number } | undefined): number {
  return timestamp === undefined ? 0 : timestampDate(timestamp as never).getTime();
}

/** Whether an experiment still has a route: running, or paused (its units wait on control). */
function routes(experiment: Experiment): boolean {
  return (
    experiment.state === ExperimentState.RUNNING || experiment.state === ExperimentState.PAUSED
  );
}

/**
 * Where a model's requests outside every experiment go: the control of its newest experiment
 * that still routes (running or paused); when all have ended, the winner of the one that ended
 * last (its control when it was stopped or concluded without a winner).
 */
function defaultVariant(experiments: readonly Experiment[]): Variant {
  const routing = experiments.filter(routes);
  if (routing.length > 0) {
    const newest = routing.reduce((a, b) => (timeOf(b.createTime) > timeOf(a.createTime) ? b : a));
    return controlOf(newest);
  }
  const last = experiments.reduce((a, b) => (timeOf(b.endTime) >= timeOf(a.endTime) ? b : a));
  return last.variants.find((variant) => variant.name === last.winner) ?? controlOf(last);
}

/**
 * Builds the complete routing table from every experiment. Drafts route nothing. Running
 * experiments are enabled; paused ones stay in the table disabled (routers send their units to
 * control, and the layout is kept for a restart); stopped and concluded ones have ended and
 * leave the table (a disabled experiment would still hold its units, so a later experiment on
 * the same model could never get them), their winner or control becoming the model's default. Models are sorted by name, experiments
 * by creation time, so equal inputs give equal tables.
 */
export function buildRoutingTable(input: TableInput): experimentsV1.RoutingTable {
  const byModel = new Map<string, Experiment[]>();
  for (const experiment of input.experiments) {
    if (experiment.state === ExperimentState.DRAFT) continue;
    if (experiment.state === ExperimentState.UNSPECIFIED) continue;
    const list = byModel.get(experiment.model) ?? [];
    list.push(experiment);
    byModel.set(experiment.model, list);
  }
  const previous = previousRoutes(input.previous);
  const aliases = input.aliases ?? new Map<string, bigint>();
  const models = [...byModel.keys()].sort().map((model) => {
    const experiments = byModel
      .get(model)!
      .sort((a, b) => timeOf(a.createTime) - timeOf(b.createTime) || (a.id < b.id ? -1 : 1));
    const experimentRoutes = experiments
      .filter(routes)
      .map((experiment) => experimentRoute(experiment, previous.get(experiment.id), aliases));
    return create(experimentsV1.ModelRouteSchema, {
      model,
      defaultVariant: routeVariant(model, defaultVariant(experiments), [], aliases) as RouteVariant,
      experiments: experimentRoutes,
    });
  });
  return create(experimentsV1.RoutingTableSchema, {
    version: input.version,
    createTime: timestampFromDate(input.now),
    pools: input.pools.map((pool) => ({
      name: pool.name,
      region: pool.region,
      endpoints: [...pool.endpoints],
    })),
    models,
  });
}
