import { AssignmentIndex } from './assignment-index';
import { BoundedMap } from './bounded-map';

/** A variant of an experiment, interned so that index slots can name it by number. */
export interface VariantRef {
  /** Position in the index's list of refs (what the index slots store). */
  readonly id: number;
  readonly experiment: string;
  readonly variant: string;
}

/** One exposure of a request or unit: which variant, and when (epoch ms). */
export interface Assignment {
  readonly ref: VariantRef;
  readonly timeMs: number;
}

/** Sizes of the attribution index. */
export interface AttributionOptions {
  /** Most (request id, experiment) slots remembered. */
  readonly requestCapacity: number;
  /** Most (unit id, experiment) slots remembered, and most units with covariates. */
  readonly unitCapacity: number;
}

/** Salts of the id hashes (event kinds use 1..3). */
const REQUEST_KIND = 17;
const UNIT_KIND = 18;

/**
 * request id -> assignments and unit id -> assignments (the latest per experiment), each an
 * {@link AssignmentIndex}, plus unit id -> covariates in a {@link BoundedMap}. Past the bounds
 * the least recently exposed ids are forgotten: their later outcomes are unattributed and a
 * returning unit is counted as a new one for the sample-ratio check.
 */
export class AttributionIndex {
  private readonly refs = new Map<string, Map<string, VariantRef>>();
  private readonly refList: VariantRef[] = [];
  private readonly experimentOf = (refId: number) => this.refList[refId].experiment;
  private readonly requests: AssignmentIndex;
  private readonly units: AssignmentIndex;
  private readonly covariates: BoundedMap<string, Map<string, number>>;

  constructor(options: AttributionOptions) {
    this.requests = new AssignmentIndex(options.requestCapacity, REQUEST_KIND, this.experimentOf);
    this.units = new AssignmentIndex(options.unitCapacity, UNIT_KIND, this.experimentOf);
    this.covariates = new BoundedMap(options.unitCapacity);
  }

  ref(experiment: string, variant: string): VariantRef {
    let variants = this.refs.get(experiment);
    if (variants === undefined) {
      variants = new Map();
      this.refs.set(experiment, variants);
    }
    let ref = variants.get(variant);
    if (ref === undefined) {
      ref = { id: this.refList.length, experiment, variant };
      this.refList.push(ref);
      variants.set(variant, ref);
    }
    return ref;
  }

  /**
   * Records an exposure. Returns true when it is the unit's first exposure to the experiment
   * that this index knows of (a new unit for the experiment's unit counts).
   */
  expose(requestId: string, unitId: string, ref: VariantRef, timeMs: number): boolean {
    if (requestId !== '') this.requests.set(requestId, ref.id, timeMs);
    return this.units.set(unitId, ref.id, timeMs);
  }

  /** Assignments of a request, one per experiment; undefined when none is remembered. */
  byRequest(requestId: string): readonly Assignment[] | undefined {
    return this.assignments(this.requests.get(requestId));
  }

  /** Assignments of a unit, one per experiment; undefined when none is remembered. */
  byUnit(unitId: string): readonly Assignment[] | undefined {
    return this.assignments(this.units.get(unitId));
  }

  /** A covariate value reported for a unit. */
  covariate(unitId: string, metric: string): number | undefined {
    return this.covariates.get(unitId)?.get(metric);
  }

  /** Remembers a covariate value of a unit. */
  setCovariate(unitId: string, metric: string, value: number): void {
    let values = this.covariates.get(unitId);
    if (values === undefined) {
      values = new Map();
      this.covariates.insertAbsent(unitId, values);
    }
    values.set(metric, value);
  }

  /** Slots held by and dropped from the indexes. */
  stats(): { requests: number; units: number; requestsEvicted: number; unitsEvicted: number } {
    return {
      requests: this.requests.size,
      units: this.units.size,
      requestsEvicted: this.requests.evicted,
      unitsEvicted: this.units.evicted,
    };
  }

  private assignments(slots: Array<[number, number]>): Assignment[] | undefined {
    return slots.length === 0
      ? undefined
      : slots.map(([refId, timeMs]) => ({ ref: this.refList[refId], timeMs }));
  }
}
