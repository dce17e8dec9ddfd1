import { NotFoundError } from '@verdict/errors';
import type { experimentsV1 } from '@verdict/proto';
import type {
  CompiledExperiment,
  CompiledModel,
  CompiledTable,
  RoutedVariant,
  ShadowTarget,
} from './compiled-table';
import type { RequestAttributes } from './request-attributes';
import { meetsTargeting } from './targeting';
import { BUCKET_COUNT, unitBucket } from './unit-hash';

/** Options of {@link routeRequest}. */
export interface RouteOptions {
  /**
   * Metadata header carrying the unit id (matched in lower case).
   * @default "x-verdict-unit"
   */
  readonly unitHeader?: string;
}

/** Default name of the metadata header that carries the unit id. */
export const DEFAULT_UNIT_HEADER = 'x-verdict-unit';

/** The experiment a request entered. */
export interface ExperimentAssignment {
  readonly id: string;
  readonly kind: experimentsV1.ExperimentKind;
  /** Whether a failed treatment request should be retried on the control. */
  readonly failoverToControl: boolean;
  /** Where sampled copies go; decide per request with {@link shouldShadow}. */
  readonly shadow?: ShadowTarget;
}

/** Where one request goes, and why. */
export interface RouteDecision {
  /** Version of the table the decision was taken on. */
  readonly tableVersion: bigint;
  readonly model: string;
  /** The variant that answers. */
  readonly variant: RoutedVariant;
  /**
   * The variant a failed request falls over to: the experiment's control inside an experiment,
   * otherwise `variant` itself.
   */
  readonly control: RoutedVariant;
  /** The unit id the assignment hashed (or would have hashed): header, parameter or request id. */
  readonly unitId: string;
  /** Absent when the request is in no experiment (including disabled and targeted-out ones). */
  readonly experiment?: ExperimentAssignment;
}

/**
 * Chooses the variant for one request. Pure and allocation-light: a map look-up, and per
 * experiment considered at most two SHA-256 hashes.
 *
 * - A model without a route goes to the pool named "default" (no version, variant "default")
 *   when the table has one; otherwise NotFoundError names `model_name`.
 * - The unit id is the unit header, else the experiment's unit parameter (a number or boolean
 *   read as its JavaScript string form, e.g. `42`, `true`), else the request id. An empty header
 *   or parameter counts as absent, so that requests without a unit do not share one bucket.
 * - Experiments are considered in table order. One with a layer applies only to units whose
 *   `unitBucket(layer, unit)` lies in its layer range; one whose targeting rules the request
 *   does not meet does not apply either. The first experiment that applies takes the request:
 *   when disabled, the request goes to its control and is in no experiment; otherwise
 *   `unitBucket(salt, unit)` picks the variant through the experiment's bucket ranges.
 * - A request no experiment takes goes to the model's default variant, in no experiment.
 *
 * @throws NotFoundError when the model has no route and the table no "default" pool
 */
export function routeRequest(
  table: CompiledTable,
  model: string,
  attrs: RequestAttributes,
  options: RouteOptions = {},
): RouteDecision {
  const route = table.models.get(model);
  const unitHeader = options.unitHeader?.toLowerCase() ?? DEFAULT_UNIT_HEADER;
  const headerUnit = attrs.header(unitHeader) || undefined;
  if (route === undefined) {
    return outside(table, model, fallbackFor(table, model), headerUnit ?? attrs.requestId);
  }
  for (const experiment of route.experiments) {
    const unit = headerUnit ?? unitFromParameter(experiment, attrs) ?? attrs.requestId;
    if (experiment.layer !== '' && !inLayer(experiment, unit)) continue;
    if (!meetsTargeting(experiment.targeting, attrs)) continue;
    if (!experiment.enabled) return outside(table, model, experiment.control, unit);
    const variant =
      experiment.variants[experiment.variantOfBucket[unitBucket(experiment.salt, unit)]];
    return {
      tableVersion: table.version,
      model,
      variant,
      control: experiment.control,
      unitId: unit,
      experiment: {
        id: experiment.id,
        kind: experiment.kind,
        failoverToControl: experiment.failoverToControl,
        ...(experiment.shadow === undefined ? {} : { shadow: experiment.shadow }),
      },
    };
  }
  return outside(table, model, route.defaultVariant, headerUnit ?? attrs.requestId);
}

/**
 * The variant a request without a unit and without attributes would get outside experiments:
 * the model's default variant, or the "default" pool for a model without a route. For
 * ModelMetadata, ModelReady and ModelConfig.
 *
 * @throws NotFoundError when the model has no route and the table no "default" pool
 */
export function defaultVariantFor(table: CompiledTable, model: string): RoutedVariant {
  const route: CompiledModel | undefined = table.models.get(model);
  return route === undefined ? fallbackFor(table, model) : route.defaultVariant;
}

/**
 * Whether a request is copied to the shadow: deterministic in the request id, so that a replay
 * or retry of a request makes the same choice and a client can predict it. True when
 * `unitBucket("shadow", requestId) < sampleRate * 10000`, so rate 0 never and rate 1 always
 * copies, at a resolution of 1/10,000. Request ids must vary (the router makes one up for a
 * request without one) or every request samples alike.
 *
 * @param sampleRate - fraction of requests to copy, in `[0, 1]`
 */
export function shouldShadow(sampleRate: number, requestId: string): boolean {
  if (sampleRate <= 0) return false;
  if (sampleRate >= 1) return true;
  return unitBucket(SHADOW_SALT, requestId) < sampleRate * BUCKET_COUNT;
}

/** Most model names a NotFoundError lists. */
const LISTED_MODELS = 20;

/** Salt of the request-id hash that samples shadow copies. */
export const SHADOW_SALT = 'shadow';

function unitFromParameter(
  experiment: CompiledExperiment,
  attrs: RequestAttributes,
): string | undefined {
  if (experiment.unitParameter === '') return undefined;
  const value = attrs.parameter(experiment.unitParameter);
  return value === undefined || value === '' ? undefined : String(value);
}

function inLayer(experiment: CompiledExperiment, unit: string): boolean {
  const bucket = unitBucket(experiment.layer, unit);
  return bucket >= experiment.layerRange.start && bucket < experiment.layerRange.end;
}

function fallbackFor(table: CompiledTable, model: string): RoutedVariant {
  if (table.fallback === undefined) {
    const known = [...table.models.keys()];
    throw new NotFoundError({
      kind: 'model_name',
      resource: model,
      ...(known.length <= LISTED_MODELS ? { available: known } : {}),
    });
  }
  return table.fallback;
}

function outside(
  table: CompiledTable,
  model: string,
  variant: RoutedVariant,
  unitId: string,
): RouteDecision {
  return { tableVersion: table.version, model, variant, control: variant, unitId };
}
