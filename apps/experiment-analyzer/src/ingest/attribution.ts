import { BoundedMap } from './bounded-map';
import { RequestIndex } from './request-index';

/** A variant of an experiment, interned so that a million index entries share a few objects. */
export interface VariantRef {
  /** Position in the index's list of refs (what the request index stores). */
  readonly id: number;
  readonly experiment: string;
  readonly variant: string;
}

/** One exposure of a request or unit: which variant, and when (epoch ms). */
export interface Assignment {
  readonly ref: VariantRef;
  timeMs: number;
}

/** What is remembered about a unit. */
export interface UnitEntry {
  /** Latest assignment per experiment (a unit is in at most one variant of an experiment at a time). */
  assignments: Assignment[];
  /** Pre-period covariates reported for the unit, by metric name. */
  covariates?: Map<string, number>;
}

/** Sizes of the attribution index. */
export interface AttributionOptions {
  /** Most request ids remembered. */
  readonly requestCapacity: number;
  /** Most unit ids remembered. */
  readonly unitCapacity: number;
}

/**
 * request id -> assignments (a {@link RequestIndex}) and unit id -> assignments and covariates
 * (a {@link BoundedMap}), each bounded. Past the bound the least recently exposed ids are
 * forgotten: their later outcomes are unattributed and a returning unit is counted as a new one
 * for the sample-ratio check.
 */
export class AttributionIndex {
  private readonly requests: RequestIndex;
  private readonly units: BoundedMap<string, UnitEntry>;
  private readonly refs = new Map<string, Map<string, VariantRef>>();
  private readonly refList: VariantRef[] = [];
  private readonly experimentOf = (refId: number) => this.refList[refId].experiment;

  constructor(options: AttributionOptions) {
    this.requests = new RequestIndex(options.requestCapacity);
    this.units = new BoundedMap(options.unitCapacity);
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
    if (requestId !== '') this.requests.set(requestId, ref.id, this.experimentOf, timeMs);
    const unit = this.units.get(unitId);
    if (unit === undefined) {
      this.units.insertAbsent(unitId, { assignments: [{ ref, timeMs }] });
      return true;
    }
    return upsert(unit.assignments, ref, timeMs);
  }

  /** Assignments of a request. */
  byRequest(requestId: string): readonly Assignment[] | undefined {
    const found = this.requests.get(requestId, this.experimentOf);
    return found.length === 0
      ? undefined
      : found.map(([refId, timeMs]) => ({ ref: this.refList[refId], timeMs }));
  }

  /** A unit's entry (read-only view). */
  byUnit(unitId: string, touch = true): UnitEntry | undefined {
    return touch ? this.units.get(unitId) : this.units.peek(unitId);
  }

  /** Remembers a covariate value of a unit, creating the unit's entry if needed. */
  setCovariate(unitId: string, metric: string, value: number): void {
    let unit = this.units.get(unitId);
    if (unit === undefined) {
      unit = { assignments: [] };
      this.units.insertAbsent(unitId, unit);
    }
    (unit.covariates ??= new Map()).set(metric, value);
  }

  /** Entries currently held and dropped so far. */
  stats(): { requests: number; units: number; requestsEvicted: number; unitsEvicted: number } {
    return {
      requests: this.requests.size,
      units: this.units.size,
      requestsEvicted: this.requests.evicted,
      unitsEvicted: this.units.evicted,
    };
  }
}

/** Sets the experiment's assignment; true when the experiment was not there before. */
function upsert(assignments: Assignment[], ref: VariantRef, timeMs: number): boolean {
  for (let i = 0; i < assignments.length; i++) {
    const a = assignments[i];
    if (a.ref.experiment === ref.experiment) {
      if (a.ref !== ref) assignments[i] = { ref, timeMs };
      else a.timeMs = timeMs;
      return false;
    }
  }
  assignments.push({ ref, timeMs });
  return true;
}
