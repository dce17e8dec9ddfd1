import { bucketOf } from './latency-buckets';
import {
  CUPED_PREFIX,
  ERROR_RATE_METRIC,
  FIELD,
  LATENCY_METRIC,
  SHADOW_METRIC,
  UNITS_METRIC,
  isIntegerField,
  type Level,
} from './stat-keys';

/** Exposure statistics of one experiment, window and variant. */
export class ExposureCell {
  requests = 0;
  errors = 0;
  latencySum = 0;
  latencySumSquares = 0;
  readonly histogram = new Map<number, number>();
  /** Units whose first exposure fell here. */
  units = 0;
  /** Σ of this variant's normalised weight over first exposures of any variant here. */
  expectedUnits = 0;

  add(latencyUs: number, failed: boolean): void {
    this.requests++;
    if (failed) this.errors++;
    this.latencySum += latencyUs;
    this.latencySumSquares += latencyUs * latencyUs;
    const bucket = bucketOf(latencyUs);
    this.histogram.set(bucket, (this.histogram.get(bucket) ?? 0) + 1);
  }
}

/** Count, sum and sum of squares of an outcome metric. */
export class OutcomeCell {
  n = 0;
  sum = 0;
  sumSquares = 0;
}

/** Sums for CUPED: outcome y and the unit's pre-period covariate x. */
export class CupedCell {
  n = 0;
  sumY = 0;
  sumYSquares = 0;
  sumX = 0;
  sumXSquares = 0;
  sumXY = 0;
}

/** Shadow comparisons of one shadow variant. */
export class ShadowCell {
  comparisons = 0;
  errors = 0;
  ok = 0;
  agree = 0;
  meanAbsDiff = 0;
  meanAbsDiffSquares = 0;
  latencyDiff = 0;
  latencyDiffSquares = 0;
  maxAbsDiff = 0;
}

type Cell = ExposureCell | OutcomeCell | CupedCell | ShadowCell;

interface Slot<C extends Cell> {
  readonly experiment: string;
  readonly window: number;
  readonly variant: string;
  readonly metric: string;
  readonly cell: C;
}

/** One counter increment, as the Store takes it. */
export interface CounterWrite {
  readonly experiment: string;
  /** Start of the fine window of the events; the writer derives each level's window from it. */
  readonly window: number;
  readonly variant: string;
  readonly metric: string;
  readonly field: string;
  readonly delta: number;
  readonly integer: boolean;
  /** Set on a retry that is still missing at one level only ('w' window, 'r' rollup, 'f' fine). */
  readonly onlyLevel?: Level;
}

/** A new largest output difference of a shadow variant in a window. */
export interface MaxWrite {
  readonly experiment: string;
  readonly window: number;
  readonly variant: string;
  readonly value: number;
}

/**
 * Aggregates not yet written to the Store: one cell per experiment, window, variant and metric,
 * updated in memory per event and turned into one counter increment per non-zero field at
 * flush time.
 */
export class Pending {
  private readonly slots = new Map<string, Slot<Cell>>();
  /** Increments that failed to be written and are retried by the next flush. */
  private readonly retries: CounterWrite[] = [];
  private readonly maxRetries: MaxWrite[] = [];

  get empty(): boolean {
    return this.slots.size === 0 && this.retries.length === 0 && this.maxRetries.length === 0;
  }

  /** experiment -> variant -> the last exposure cell used (skips building a key per event). */
  private readonly lastExposure = new Map<
    string,
    Map<string, { window: number; cell: ExposureCell }>
  >();

  exposure(experiment: string, window: number, variant: string): ExposureCell {
    let byVariant = this.lastExposure.get(experiment);
    if (byVariant === undefined) {
      byVariant = new Map();
      this.lastExposure.set(experiment, byVariant);
    }
    const last = byVariant.get(variant);
    if (last !== undefined && last.window === window) return last.cell;
    const cell = this.slot(experiment, window, variant, '', () => new ExposureCell());
    byVariant.set(variant, { window, cell });
    return cell;
  }

  outcome(experiment: string, window: number, variant: string, metric: string): OutcomeCell {
    return this.slot(experiment, window, variant, metric, () => new OutcomeCell());
  }

  cuped(experiment: string, window: number, variant: string, metric: string): CupedCell {
    return this.slot(experiment, window, variant, CUPED_PREFIX + metric, () => new CupedCell());
  }

  /**
   * Per-unit sums of a ratio metric, kept under the ratio's own name with the CUPED layout
   * (n units, sum/sum2 of the numerator, x/x2 of the denominator, xy).
   */
  ratio(experiment: string, window: number, variant: string, metric: string): CupedCell {
    return this.slot(experiment, window, variant, metric, () => new CupedCell());
  }

  shadow(experiment: string, window: number, variant: string): ShadowCell {
    return this.slot(experiment, window, variant, SHADOW_METRIC, () => new ShadowCell());
  }

  /** Queues writes that failed for the next flush. */
  requeue(writes: readonly CounterWrite[], maxes: readonly MaxWrite[]): void {
    this.retries.push(...writes);
    this.maxRetries.push(...maxes);
  }

  /** Takes everything pending as Store writes and empties this. */
  drain(): { counters: CounterWrite[]; maxes: MaxWrite[] } {
    const counters = this.retries.splice(0);
    const maxes = this.maxRetries.splice(0);
    for (const slot of this.slots.values()) {
      const { experiment, window, variant, cell } = slot;
      const put = (metric: string, field: string, delta: number) => {
        if (delta !== 0) {
          const integer = isIntegerField(field);
          counters.push({ experiment, window, variant, metric, field, delta, integer });
        }
      };
      if (cell instanceof ExposureCell) {
        put(ERROR_RATE_METRIC, FIELD.n, cell.requests);
        put(ERROR_RATE_METRIC, FIELD.successes, cell.errors);
        put(LATENCY_METRIC, FIELD.n, cell.requests);
        put(LATENCY_METRIC, FIELD.sum, cell.latencySum);
        put(LATENCY_METRIC, FIELD.sumSquares, cell.latencySumSquares);
        for (const [bucket, count] of cell.histogram) {
          put(LATENCY_METRIC, `${FIELD.bucketPrefix}${bucket}`, count);
        }
        put(UNITS_METRIC, FIELD.n, cell.units);
        put(UNITS_METRIC, FIELD.expected, cell.expectedUnits);
      } else if (cell instanceof OutcomeCell) {
        put(slot.metric, FIELD.n, cell.n);
        put(slot.metric, FIELD.sum, cell.sum);
        put(slot.metric, FIELD.sumSquares, cell.sumSquares);
      } else if (cell instanceof CupedCell) {
        put(slot.metric, FIELD.n, cell.n);
        put(slot.metric, FIELD.sum, cell.sumY);
        put(slot.metric, FIELD.sumSquares, cell.sumYSquares);
        put(slot.metric, FIELD.sumX, cell.sumX);
        put(slot.metric, FIELD.sumXSquares, cell.sumXSquares);
        put(slot.metric, FIELD.sumXY, cell.sumXY);
      } else {
        put(SHADOW_METRIC, FIELD.n, cell.comparisons);
        put(SHADOW_METRIC, FIELD.shadowErrors, cell.errors);
        put(SHADOW_METRIC, FIELD.shadowOk, cell.ok);
        put(SHADOW_METRIC, FIELD.agree, cell.agree);
        put(SHADOW_METRIC, FIELD.meanAbsDiff, cell.meanAbsDiff);
        put(SHADOW_METRIC, FIELD.meanAbsDiffSquares, cell.meanAbsDiffSquares);
        put(SHADOW_METRIC, FIELD.latencyDiff, cell.latencyDiff);
        put(SHADOW_METRIC, FIELD.latencyDiffSquares, cell.latencyDiffSquares);
        if (cell.ok > 0) maxes.push({ experiment, window, variant, value: cell.maxAbsDiff });
      }
    }
    this.slots.clear();
    this.lastExposure.clear();
    return { counters, maxes };
  }

  private slot<C extends Cell>(
    experiment: string,
    window: number,
    variant: string,
    metric: string,
    make: () => C,
  ): C {
    const key = `${window}\u0000${experiment}\u0000${variant}\u0000${metric}`;
    const found = this.slots.get(key);
    if (found !== undefined) return found.cell as C;
    const cell = make();
    this.slots.set(key, { experiment, window, variant, metric, cell });
    return cell;
  }
}
