import { experimentsV1 } from '@verdict/proto';

/** What ingest and results need to know about an experiment, computed once per definition. */
export interface ExperimentInfo {
  /** Variants that answer requests, control first. */
  readonly answering: readonly string[];
  /** Normalised configured share of each answering variant (sums to 1; equal shares when all weights are 0). */
  readonly shares: ReadonlyMap<string, number>;
  /** Every variant name, shadows included. */
  readonly variants: ReadonlySet<string>;
  /** Shadow variants. */
  readonly shadows: readonly string[];
  /** Primary, secondary and guardrail metrics by name (first definition wins). */
  readonly metrics: ReadonlyMap<string, experimentsV1.MetricSpec>;
  /** metric -> its CUPED covariate metric. */
  readonly covariateOf: ReadonlyMap<string, string>;
  /** Names used as covariates. */
  readonly covariates: ReadonlySet<string>;
  /** outcome metric -> the ratio metrics it is the numerator (y) or denominator (x) of. */
  readonly ratioParts: ReadonlyMap<string, ReadonlyArray<{ ratio: string; part: 'y' | 'x' }>>;
}

const cache = new WeakMap<experimentsV1.Experiment, ExperimentInfo>();

/**
 * The digest of an experiment definition, cached per definition object: a changed definition
 * must be a new object (as the experiment store's decoded copies are), not one mutated in place.
 */
export function experimentInfo(experiment: experimentsV1.Experiment): ExperimentInfo {
  const known = cache.get(experiment);
  if (known !== undefined) return known;
  const isShadow = (v: experimentsV1.Variant) => v.role === experimentsV1.VariantRole.SHADOW;
  const answeringVariants = experiment.variants.filter((v) => !isShadow(v));
  const controlIndex = Math.max(
    0,
    answeringVariants.findIndex((v) => v.role === experimentsV1.VariantRole.CONTROL),
  );
  const ordered = [
    ...answeringVariants.slice(controlIndex, controlIndex + 1),
    ...answeringVariants.filter((_, i) => i !== controlIndex),
  ];
  const total = ordered.reduce((s, v) => s + Math.max(0, v.weight), 0);
  const shares = new Map(
    ordered.map((v) => [
      v.name,
      total > 0 ? Math.max(0, v.weight) / total : 1 / Math.max(1, ordered.length),
    ]),
  );
  const metrics = new Map<string, experimentsV1.MetricSpec>();
  const specs = [
    experiment.primaryMetric,
    ...experiment.secondaryMetrics,
    ...experiment.guardrails.map((g) => g.metric),
  ];
  for (const spec of specs) {
    if (spec !== undefined && spec.name !== '' && !metrics.has(spec.name)) {
      metrics.set(spec.name, spec);
    }
  }
  const covariateOf = new Map<string, string>();
  for (const spec of metrics.values()) {
    if (spec.covariate !== '') covariateOf.set(spec.name, spec.covariate);
  }
  const ratioParts = new Map<string, Array<{ ratio: string; part: 'y' | 'x' }>>();
  for (const spec of metrics.values()) {
    if (spec.type !== experimentsV1.MetricType.RATIO) continue;
    for (const [outcome, part] of [
      [spec.numerator, 'y'],
      [spec.denominator, 'x'],
    ] as const) {
      if (outcome === '') continue;
      const list = ratioParts.get(outcome) ?? [];
      list.push({ ratio: spec.name, part });
      ratioParts.set(outcome, list);
    }
  }
  const info: ExperimentInfo = {
    answering: ordered.map((v) => v.name),
    shares,
    variants: new Set(experiment.variants.map((v) => v.name)),
    shadows: experiment.variants.filter(isShadow).map((v) => v.name),
    metrics,
    covariateOf,
    covariates: new Set(covariateOf.values()),
    ratioParts,
  };
  cache.set(experiment, info);
  return info;
}
