import type { JsonObject, JsonValue } from '@bufbuild/protobuf';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import { parse as parseYaml } from 'yaml';
import { layoutBuckets, layoutOf } from './bucket-layout';
import type { BucketLayout } from './bucket-range';
import { decodeProtoJson, isObject } from './proto-json';

/** Text formats a routing-table file may be written in. */
export type RoutingTableFormat = 'json' | 'yaml';

/**
 * Reads a routing table from its proto3 JSON form or from YAML of the same shape (field names
 * in proto or JSON spelling, enums by name, 64-bit numbers as numbers or strings).
 *
 * For hand-written files, an experiment's answering variants may each give `weight` instead of
 * `buckets`; the weights are laid out with {@link layoutBuckets}, starting from the buckets the
 * same experiment (by `experiment_id`) has in `previous`, so an edit of the weights moves only
 * the units that must move. A `weight` on a shadow variant is ignored, as the proto says.
 *
 * This decodes and lays out; {@link compileRoutingTable} checks the table's meaning.
 *
 * @param previous - the table in force, whose layouts weight edits start from
 * @throws InvalidArgumentError naming the field (`models[0].experiments[0].variants[1].weight`)
 *   or, for text that is not JSON or YAML, the document
 */
export function parseRoutingTableText(
  text: string,
  format: RoutingTableFormat,
  previous?: experimentsV1.RoutingTable,
): experimentsV1.RoutingTable {
  const document = parseDocument(text, format);
  if (!isObject(document)) {
    throw new InvalidArgumentError({
      field: '(document)',
      expected: 'a RoutingTable object',
      received: document === null ? 'null' : Array.isArray(document) ? 'a list' : typeof document,
    });
  }
  return decodeProtoJson(experimentsV1.RoutingTableSchema, layOutWeights(document, previous));
}

function parseDocument(text: string, format: RoutingTableFormat): JsonValue {
  try {
    return format === 'json' ? (JSON.parse(text) as JsonValue) : (parseYaml(text) as JsonValue);
  } catch (error) {
    throw new InvalidArgumentError({
      field: '(document)',
      expected: format === 'json' ? 'JSON text' : 'a YAML document',
      received: error instanceof Error ? error.message.split('\n')[0] : String(error),
    });
  }
}

/** A copy of the document with every weighted experiment's weights turned into buckets. */
function layOutWeights(
  document: JsonObject,
  previous: experimentsV1.RoutingTable | undefined,
): JsonObject {
  const models = document.models;
  if (!Array.isArray(models)) return document;
  const previousLayouts = layoutsById(previous);
  return {
    ...document,
    models: models.map((model, m) => {
      if (!isObject(model) || !Array.isArray(model.experiments)) return model;
      return {
        ...model,
        experiments: model.experiments.map((experiment, e) =>
          isObject(experiment)
            ? layOutExperiment(experiment, `models[${m}].experiments[${e}]`, previousLayouts)
            : experiment,
        ),
      };
    }),
  };
}

function layOutExperiment(
  experiment: JsonObject,
  field: string,
  previousLayouts: ReadonlyMap<string, BucketLayout>,
): JsonObject {
  const result: JsonObject = { ...experiment };
  const shadow = result.shadow;
  if (isObject(shadow) && isObject(shadow.variant) && 'weight' in shadow.variant) {
    result.shadow = { ...shadow, variant: withoutWeight(shadow.variant) };
  }
  const variants = result.variants;
  if (!Array.isArray(variants) || !variants.some((one) => isObject(one) && 'weight' in one)) {
    return result;
  }
  const weighted = variants.map((variant, index) =>
    weightedVariant(variant, `${field}.variants[${index}]`),
  );
  weighted.forEach((one, index) => {
    if (weighted.findIndex((other) => other.name === one.name) !== index) {
      throw new InvalidArgumentError({
        field: `${field}.variants[${index}].name`,
        expected: 'a variant name unique in the experiment',
        received: JSON.stringify(one.name),
      });
    }
  });
  if (weighted.reduce((sum, one) => sum + one.weight, 0) <= 0) {
    throw new InvalidArgumentError({
      field: `${field}.variants`,
      expected: 'weights with a positive sum',
      received: weighted.map((one) => one.weight).join(', ') || 'no variants',
    });
  }
  const id = result.experiment_id ?? result.experimentId;
  const layout = layoutBuckets(
    typeof id === 'string' ? previousLayouts.get(id) : undefined,
    weighted,
  );
  result.variants = variants.map((variant, index) => ({
    ...withoutWeight(variant as JsonObject),
    buckets: (layout.get(weighted[index].name) ?? []).map((span) => ({ ...span })),
  }));
  return result;
}

function withoutWeight(variant: JsonObject): JsonObject {
  const copy = { ...variant };
  delete copy.weight;
  return copy;
}

function weightedVariant(variant: JsonValue, field: string): { name: string; weight: number } {
  if (!isObject(variant)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a RouteVariant object',
      received: JSON.stringify(variant),
    });
  }
  if ('buckets' in variant) {
    throw new InvalidArgumentError({
      field: `${field}.buckets`,
      expected: 'no buckets when the experiment gives weights (one or the other)',
      received: JSON.stringify(variant.buckets),
    });
  }
  const { name, weight } = variant;
  if (typeof name !== 'string' || name === '') {
    throw new InvalidArgumentError({
      field: `${field}.name`,
      expected: 'a variant name',
      received: JSON.stringify(name ?? null),
    });
  }
  if (typeof weight !== 'number' || !Number.isFinite(weight) || weight < 0) {
    throw new InvalidArgumentError({
      field: `${field}.weight`,
      expected: 'a finite, non-negative number (every variant gives a weight, or none does)',
      received: weight === undefined ? 'nothing' : JSON.stringify(weight),
    });
  }
  return { name, weight };
}

function layoutsById(table: experimentsV1.RoutingTable | undefined): Map<string, BucketLayout> {
  const layouts = new Map<string, BucketLayout>();
  for (const model of table?.models ?? []) {
    for (const experiment of model.experiments) {
      layouts.set(experiment.experimentId, layoutOf(experiment.variants));
    }
  }
  return layouts;
}
