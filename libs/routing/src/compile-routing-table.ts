import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { BucketSpan } from './bucket-range';
import type {
  CompiledExperiment,
  CompiledModel,
  CompiledTable,
  RoutePool,
  RoutedVariant,
  ShadowTarget,
} from './compiled-table';
import { isEndpoint } from './endpoint';
import { compileTargetingRule } from './targeting';
import { BUCKET_COUNT } from './unit-hash';

/** Name of the pool that serves models the table has no route for. */
export const DEFAULT_POOL = 'default';

const NO_VARIANT = 0xffff;
const ALL_BUCKETS: BucketSpan = { start: 0, end: BUCKET_COUNT };
const KINDS = new Set<number>([
  experimentsV1.ExperimentKind.AB,
  experimentsV1.ExperimentKind.CANARY,
  experimentsV1.ExperimentKind.BLUE_GREEN,
  experimentsV1.ExperimentKind.SHADOW,
  experimentsV1.ExperimentKind.BANDIT,
]);

/**
 * Checks a routing table and prepares it for {@link routeRequest}.
 *
 * Checks: pool names present and unique, each pool with at least one `host:port` endpoint;
 * model names present and unique, each with a default variant; every variant named, on a
 * defined pool, with a version above 0 or a non-empty alias when it names one (a variant with
 * neither asks for the model server's default version); experiment ids present and unique in
 * the table, a known kind and a salt; answering variants with unique names, exactly one
 * control, bucket ranges inside `[0, 10000)` that do not overlap and together cover all 10,000
 * buckets; a layer range inside `[0, 10000)` and only with a layer, disjoint from the ranges of
 * the model's other experiments in the same layer; a shadow with a variant that is not the
 * control, a name of its own and a sample rate in `[0, 1]`; well-formed targeting rules.
 *
 * @throws InvalidArgumentError whose `field` is the path of the first offending field, in proto
 *   field names, e.g. `models[0].experiments[1].variants[2].buckets[0].end`
 */
export function compileRoutingTable(table: experimentsV1.RoutingTable): CompiledTable {
  const pools = compilePools(table.pools);
  const models = new Map<string, CompiledModel>();
  const experimentIds = new Set<string>();
  table.models.forEach((route, index) => {
    const field = `models[${index}]`;
    if (route.model === '' || models.has(route.model)) {
      throw new InvalidArgumentError({
        field: `${field}.model`,
        expected: 'a model name unique in the table',
        received: JSON.stringify(route.model),
      });
    }
    models.set(route.model, compileModel(route, field, pools, experimentIds));
  });
  const defaultPool = pools.get(DEFAULT_POOL);
  return {
    version: table.version,
    pools,
    models,
    fallback:
      defaultPool === undefined
        ? undefined
        : { name: DEFAULT_POOL, pool: defaultPool, control: true },
    source: table,
  };
}

function compilePools(list: readonly experimentsV1.Pool[]): Map<string, RoutePool> {
  const pools = new Map<string, RoutePool>();
  list.forEach((pool, index) => {
    const field = `pools[${index}]`;
    if (pool.name === '' || pools.has(pool.name)) {
      throw new InvalidArgumentError({
        field: `${field}.name`,
        expected: 'a pool name unique in the table',
        received: JSON.stringify(pool.name),
      });
    }
    if (pool.endpoints.length === 0) {
      throw new InvalidArgumentError({
        field: `${field}.endpoints`,
        expected: 'at least one host:port endpoint',
        received: 'none',
      });
    }
    pool.endpoints.forEach((endpoint, at) => {
      if (!isEndpoint(endpoint)) {
        throw new InvalidArgumentError({
          field: `${field}.endpoints[${at}]`,
          expected: 'host:port with a port in 1..65535',
          received: JSON.stringify(endpoint),
        });
      }
    });
    pools.set(pool.name, { name: pool.name, region: pool.region, endpoints: [...pool.endpoints] });
  });
  return pools;
}

function compileModel(
  route: experimentsV1.ModelRoute,
  field: string,
  pools: ReadonlyMap<string, RoutePool>,
  experimentIds: Set<string>,
): CompiledModel {
  if (route.defaultVariant === undefined) {
    throw new InvalidArgumentError({
      field: `${field}.default_variant`,
      expected: 'the variant for requests outside every experiment',
      received: 'none',
    });
  }
  const defaultVariant = compileVariant(route.defaultVariant, `${field}.default_variant`, pools);
  const experiments = route.experiments.map((experiment, index) =>
    compileExperiment(experiment, `${field}.experiments[${index}]`, pools, experimentIds),
  );
  checkLayers(route.experiments, experiments, field);
  return { name: route.model, defaultVariant: { ...defaultVariant, control: true }, experiments };
}

function compileVariant(
  variant: experimentsV1.RouteVariant,
  field: string,
  pools: ReadonlyMap<string, RoutePool>,
): RoutedVariant {
  if (variant.name === '') {
    throw new InvalidArgumentError({
      field: `${field}.name`,
      expected: 'a variant name',
      received: '""',
    });
  }
  const pool = pools.get(variant.pool);
  if (pool === undefined) {
    throw new InvalidArgumentError({
      field: `${field}.pool`,
      expected: `one of the table's pools (${[...pools.keys()].join(', ') || 'none defined'})`,
      received: JSON.stringify(variant.pool),
    });
  }
  const { target } = variant;
  if (target.case === 'version') {
    if (target.value === 0n) {
      throw new InvalidArgumentError({
        field: `${field}.version`,
        expected: 'a model version above 0',
        received: '0',
      });
    }
    return { name: variant.name, version: target.value, pool, control: variant.control };
  }
  if (target.case === 'alias') {
    if (target.value === '') {
      throw new InvalidArgumentError({
        field: `${field}.alias`,
        expected: 'a non-empty alias',
        received: '""',
      });
    }
    return { name: variant.name, alias: target.value, pool, control: variant.control };
  }
  return { name: variant.name, pool, control: variant.control };
}

function compileExperiment(
  experiment: experimentsV1.ExperimentRoute,
  field: string,
  pools: ReadonlyMap<string, RoutePool>,
  experimentIds: Set<string>,
): CompiledExperiment {
  if (experiment.experimentId === '' || experimentIds.has(experiment.experimentId)) {
    throw new InvalidArgumentError({
      field: `${field}.experiment_id`,
      expected: 'an experiment id unique in the table',
      received: JSON.stringify(experiment.experimentId),
    });
  }
  experimentIds.add(experiment.experimentId);
  if (!KINDS.has(experiment.kind)) {
    throw new InvalidArgumentError({
      field: `${field}.kind`,
      expected: 'EXPERIMENT_KIND_AB, _CANARY, _BLUE_GREEN, _SHADOW or _BANDIT',
      received: String(experiment.kind),
    });
  }
  if (experiment.salt === '') {
    throw new InvalidArgumentError({
      field: `${field}.salt`,
      expected: 'a non-empty salt for the unit hash',
      received: '""',
    });
  }
  const layerRange = compileLayerRange(experiment, field);
  const targeting = experiment.targeting.map((rule, index) =>
    compileTargetingRule(rule, `${field}.targeting[${index}]`),
  );
  const variants = experiment.variants.map((variant, index) =>
    compileVariant(variant, `${field}.variants[${index}]`, pools),
  );
  const control = soleControl(variants, field);
  const variantOfBucket = bucketMap(experiment.variants, field);
  const shadow = compileShadow(experiment.shadow, `${field}.shadow`, variants, pools);
  return {
    id: experiment.experimentId,
    kind: experiment.kind,
    enabled: experiment.enabled,
    salt: experiment.salt,
    layer: experiment.layer,
    layerRange,
    targeting,
    variants,
    control,
    variantOfBucket,
    ...(shadow === undefined ? {} : { shadow }),
    unitParameter: experiment.unitParameter,
    failoverToControl: experiment.failoverToControl,
    version: experiment.experimentVersion,
  };
}

function compileLayerRange(experiment: experimentsV1.ExperimentRoute, field: string): BucketSpan {
  const range = experiment.layerRange;
  if (range === undefined) return ALL_BUCKETS;
  checkSpan(range, `${field}.layer_range`);
  const whole = range.start === 0 && range.end === BUCKET_COUNT;
  if (experiment.layer === '' && !whole) {
    throw new InvalidArgumentError({
      field: `${field}.layer_range`,
      expected: 'no range (or all of [0, 10000)) for an experiment without a layer',
      received: `[${range.start}, ${range.end})`,
    });
  }
  return { start: range.start, end: range.end };
}

function checkSpan(span: BucketSpan, field: string): void {
  if (!Number.isInteger(span.start) || span.start < 0 || span.start >= BUCKET_COUNT) {
    throw new InvalidArgumentError({
      field: `${field}.start`,
      expected: `an integer bucket in [0, ${BUCKET_COUNT})`,
      received: String(span.start),
    });
  }
  if (!Number.isInteger(span.end) || span.end <= span.start || span.end > BUCKET_COUNT) {
    throw new InvalidArgumentError({
      field: `${field}.end`,
      expected: `an integer in (${span.start}, ${BUCKET_COUNT}] (ranges are half-open)`,
      received: String(span.end),
    });
  }
}

function soleControl(variants: readonly RoutedVariant[], field: string): RoutedVariant {
  const names = new Set<string>();
  variants.forEach((variant, index) => {
    if (names.has(variant.name)) {
      throw new InvalidArgumentError({
        field: `${field}.variants[${index}].name`,
        expected: 'a variant name unique in the experiment',
        received: JSON.stringify(variant.name),
      });
    }
    names.add(variant.name);
  });
  const controls = variants.filter((variant) => variant.control);
  if (controls.length !== 1) {
    throw new InvalidArgumentError({
      field: `${field}.variants`,
      expected: 'exactly one variant with control set',
      received: `${controls.length} controls among ${variants.length} variants`,
    });
  }
  return controls[0];
}

/** Variant index per bucket; every bucket owned by exactly one answering variant. */
function bucketMap(variants: readonly experimentsV1.RouteVariant[], field: string): Uint16Array {
  if (variants.length > BUCKET_COUNT) {
    throw new InvalidArgumentError({
      field: `${field}.variants`,
      expected: `at most ${BUCKET_COUNT} answering variants`,
      received: `${variants.length}`,
    });
  }
  const owner = new Uint16Array(BUCKET_COUNT).fill(NO_VARIANT);
  const ownerSpan = new Uint32Array(BUCKET_COUNT);
  variants.forEach((variant, index) => {
    variant.buckets.forEach((span, at) => {
      const spanField = `${field}.variants[${index}].buckets[${at}]`;
      checkSpan(span, spanField);
      for (let bucket = span.start; bucket < span.end; bucket++) {
        if (owner[bucket] !== NO_VARIANT) {
          throw new InvalidArgumentError({
            field: spanField,
            expected: `buckets disjoint from variants[${owner[bucket]}].buckets[${ownerSpan[bucket]}]`,
            received: `[${span.start}, ${span.end}) sharing bucket ${bucket}`,
          });
        }
        owner[bucket] = index;
        ownerSpan[bucket] = at;
      }
    });
  });
  const gap = owner.indexOf(NO_VARIANT);
  if (gap >= 0) {
    throw new InvalidArgumentError({
      field: `${field}.variants`,
      expected: `bucket ranges that together cover [0, ${BUCKET_COUNT})`,
      received: `bucket ${gap} in no variant`,
    });
  }
  return owner;
}

function compileShadow(
  shadow: experimentsV1.ShadowRoute | undefined,
  field: string,
  variants: readonly RoutedVariant[],
  pools: ReadonlyMap<string, RoutePool>,
): ShadowTarget | undefined {
  if (shadow === undefined) return undefined;
  if (shadow.variant === undefined) {
    throw new InvalidArgumentError({
      field: `${field}.variant`,
      expected: 'the variant that receives the copies',
      received: 'none',
    });
  }
  const variant = compileVariant(shadow.variant, `${field}.variant`, pools);
  if (variant.control || variants.some((other) => other.name === variant.name)) {
    throw new InvalidArgumentError({
      field: variant.control ? `${field}.variant.control` : `${field}.variant.name`,
      expected: 'a shadow that is not the control and not named like an answering variant',
      received: variant.control ? 'true' : JSON.stringify(variant.name),
    });
  }
  const rate = shadow.sampleRate;
  if (!Number.isFinite(rate) || rate < 0 || rate > 1) {
    throw new InvalidArgumentError({
      field: `${field}.sample_rate`,
      expected: 'a fraction in [0, 1]',
      received: String(rate),
    });
  }
  return { variant, sampleRate: rate };
}

/** Experiments of one model in the same layer must own disjoint ranges of it. */
function checkLayers(
  routes: readonly experimentsV1.ExperimentRoute[],
  experiments: readonly CompiledExperiment[],
  field: string,
): void {
  experiments.forEach((experiment, index) => {
    if (experiment.layer === '') return;
    for (let earlier = 0; earlier < index; earlier++) {
      const other = experiments[earlier];
      if (other.layer !== experiment.layer) continue;
      const a = experiment.layerRange;
      const b = other.layerRange;
      if (a.start < b.end && b.start < a.end) {
        const set = routes[index].layerRange !== undefined;
        throw new InvalidArgumentError({
          field: `${field}.experiments[${index}]${set ? '.layer_range' : '.layer'}`,
          expected: `a range of layer "${experiment.layer}" disjoint from experiments[${earlier}]'s [${b.start}, ${b.end})`,
          received: `[${a.start}, ${a.end})`,
        });
      }
    }
  });
}
