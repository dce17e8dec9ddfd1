import type { experimentsV1 } from '@verdict/proto';
import type { BucketSpan } from './bucket-range';
import type { CompiledRule } from './targeting';

/** A set of model-server endpoints in one region. */
export interface RoutePool {
  readonly name: string;
  /** Region for data residency; may be empty. */
  readonly region: string;
  /** Endpoints as `host:port`. */
  readonly endpoints: readonly string[];
}

/** A variant resolved against its pool: what a router forwards to. */
export interface RoutedVariant {
  /** Reported in the `x-verdict-variant` trailer and in exposure events. */
  readonly name: string;
  /** The model version to ask for; absent for an alias or for the server's default version. */
  readonly version?: bigint;
  /** A registry alias (forwarded with `model_version` empty); absent for a version. */
  readonly alias?: string;
  readonly pool: RoutePool;
  /** True for an experiment's control (and for a model's default variant outside one). */
  readonly control: boolean;
}

/** A shadow copy target and the fraction of primary requests copied to it. */
export interface ShadowTarget {
  readonly variant: RoutedVariant;
  /** In `[0, 1]`. */
  readonly sampleRate: number;
}

/** An experiment checked and prepared for routing. */
export interface CompiledExperiment {
  readonly id: string;
  readonly kind: experimentsV1.ExperimentKind;
  /** False: every request that would enter goes to the control, outside the experiment. */
  readonly enabled: boolean;
  readonly salt: string;
  /** Mutual-exclusion layer; empty for none. */
  readonly layer: string;
  /** Buckets of the layer the experiment owns; all of them when the table leaves it unset. */
  readonly layerRange: BucketSpan;
  readonly targeting: readonly CompiledRule[];
  /** Answering variants in table order. */
  readonly variants: readonly RoutedVariant[];
  /** The one control among `variants`. */
  readonly control: RoutedVariant;
  /** Index into `variants` for each of the 10,000 buckets of the experiment's salt hash. */
  readonly variantOfBucket: Uint16Array;
  readonly shadow?: ShadowTarget;
  /** Request parameter carrying the unit id when the unit header is absent; empty for none. */
  readonly unitParameter: string;
  readonly failoverToControl: boolean;
  /** Experiment version the route was built from. */
  readonly version: bigint;
}

/** The routes of one model name. */
export interface CompiledModel {
  readonly name: string;
  /** Where requests outside every experiment go. */
  readonly defaultVariant: RoutedVariant;
  /** Considered in table order; a request enters at most one. */
  readonly experiments: readonly CompiledExperiment[];
}

/**
 * A validated routing table, prepared so that routing a request is a map look-up and one or two
 * hashes. Immutable: a router swaps whole tables.
 */
export interface CompiledTable {
  readonly version: bigint;
  readonly pools: ReadonlyMap<string, RoutePool>;
  readonly models: ReadonlyMap<string, CompiledModel>;
  /**
   * Where models without a route go: the pool named "default" with no version, when the table
   * has that pool.
   */
  readonly fallback?: RoutedVariant;
  /** The table it was compiled from. */
  readonly source: experimentsV1.RoutingTable;
}
