/**
 * The pure routing core of Verdict: the unit hash every client can reproduce, stable bucket
 * layouts, routing-table parsing, validation and compilation, and the per-request choice of a
 * variant. No I/O: the router service (apps/router) and the analyzer build on it.
 *
 * @packageDocumentation
 */

export { BUCKET_COUNT, unitBucket } from './unit-hash';
export type { BucketSpan, BucketLayout } from './bucket-range';
export { layoutBuckets, layoutOf, bucketCounts } from './bucket-layout';
export type { WeightedVariant } from './bucket-layout';
export type { ParameterValue, RequestAttributes } from './request-attributes';
export { attributesFrom } from './request-attributes';
export type { CompiledRule } from './targeting';
export { compileTargetingRule, meetsTargeting } from './targeting';
export type {
  CompiledExperiment,
  CompiledModel,
  CompiledTable,
  RoutePool,
  RoutedVariant,
  ShadowTarget,
} from './compiled-table';
export { compileRoutingTable, DEFAULT_POOL } from './compile-routing-table';
export type { ExperimentAssignment, RouteDecision, RouteOptions } from './route-request';
export {
  routeRequest,
  defaultVariantFor,
  shouldShadow,
  DEFAULT_UNIT_HEADER,
  SHADOW_SALT,
} from './route-request';
export { parseRoutingTableText } from './parse-routing-table';
export type { RoutingTableFormat } from './parse-routing-table';
export { decodeProtoJson } from './proto-json';
export { isEndpoint } from './endpoint';
