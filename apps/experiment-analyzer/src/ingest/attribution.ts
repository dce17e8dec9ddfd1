import { BoundedMap } from './bounded-map';

/** A variant of an experiment, interned so that a million index entries share a few objects. */
export interface VariantRef {
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
 * request id -> assignments and unit id -> assignments (and covariates), each bounded by a
 * {@link BoundedMap}. Past the bound the least recently exposed ids are forgotten: their later
 * outcomes are unattributed and a returning unit is counted as a new one for the
 * sample-ratio check.
 */
export class AttributionIndex {
  /** One assignment (the common case, no array allocated) or several (several layers). */
  private readonly requests: BoundedMap<string, Assignment | Assignment[]>;
  private readonly units: BoundedMap<string, UnitEntry>;
  private readonly refs = new Map<string, Map<string, VariantRef>>();

  constructor(options: AttributionOptions) {
    this.requests = new BoundedMap(options.requestCapacity);
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
      ref = { experiment, variant };
      variants.set(variant, ref);
    }
    return ref;
  }

  /**
   * Records an exposure. Returns true when it is the unit's first exposure to the experiment
   * that this index knows of (a new unit for the experiment's unit counts).
   */
  expose(requestId: string, unitId: string, ref: VariantRef, timeMs: number): boolean {
    if (requestId !== '') {
      const known = this.requests.get(requestId);
      if (known === undefined) this.requests.insertAbsent(requestId, { ref, timeMs });
      else if (Array.isArray(known)) upsert(known, ref, timeMs);
      else if (known.ref.experiment === ref.experiment)
        this.requests.set(requestId, { ref, timeMs });
      else this.requests.set(requestId, [known, { ref, timeMs }]);
    }
    const unit = this.units.get(unitId);
    if (unit === undefined) {
      this.units.insertAbsent(unitId, { assignments: [{ ref, timeMs }] });
      return true;
    }
    return upsert(unit.assignments, ref, timeMs);
  }

  /** Assignments of a request (read-only view). */
  byRequest(requestId: string, touch = true): readonly Assignment[] | undefined {
    const found = touch ? this.requests.get(requestId) : this.requests.peek(requestId);
    return found === undefined || Array.isArray(found) ? found : [found];
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
