/** Options of the ingest; every bound of its memory is here. */
export interface IngestOptions {
  /**
   * Width of the time windows statistics are kept in (epoch-aligned), in milliseconds. Results
   * select whole windows, so this is the resolution of a results time range.
   * @default 3_600_000 (one hour)
   */
  windowMs?: number;
  /**
   * Width of the rollup level, a multiple of `windowMs` (epoch-aligned, so UTC days by
   * default). Every statistic is also summed per rollup, so results over whole days read one
   * set of counters per day instead of one per window.
   * @default 86_400_000 (one day)
   */
  rollupMs?: number;
  /**
   * Width of the fine level, a divisor of `windowMs` (epoch-aligned): during an experiment's
   * first `fineHorizonMs` every statistic is also kept per fine window, so that results up to a
   * time inside a window (the dashboard's points of a young experiment) count exactly the events
   * before it.
   * @default 10_000 (ten seconds)
   */
  fineWindowMs?: number;
  /**
   * How long after an experiment's start its statistics are also kept per fine window. It bounds
   * the fine level's size: at most fineHorizonMs / fineWindowMs windows per experiment.
   * @default 7_200_000 (two hours)
   */
  fineHorizonMs?: number;
  /**
   * Event ids remembered for deduplication, per process: a replay is recognised while its id is
   * among the last dedupCapacity/2 to dedupCapacity ids seen (16 bytes each, allocated up front).
   * @default 2_000_000
   */
  dedupCapacity?: number;
  /**
   * (Request id, experiment) slots remembered for attributing outcomes by request id (20 bytes
   * each, allocated up front).
   * @default 500_000
   */
  requestIndexCapacity?: number;
  /**
   * (Unit id, experiment) slots remembered for attributing outcomes by unit id and for counting
   * distinct units (20 bytes each, allocated up front; plus covariates of at most this many units).
   * @default 1_000_000
   */
  unitIndexCapacity?: number;
  /**
   * Outcomes observed longer than this after the exposure are not attributed.
   * @default 604_800_000 (7 days)
   */
  attributionWindowMs?: number;
  /**
   * Interval of the background flush that retries increments a failed flush left pending.
   * @default 1_000
   */
  flushIntervalMs?: number;
  /**
   * Event times further than this in the future (clock skew) are replaced by the arrival time.
   * @default 300_000 (5 minutes)
   */
  maxFutureSkewMs?: number;
}

export const INGEST_DEFAULTS: Required<IngestOptions> = {
  windowMs: 3_600_000,
  rollupMs: 86_400_000,
  fineWindowMs: 10_000,
  fineHorizonMs: 7_200_000,
  dedupCapacity: 2_000_000,
  requestIndexCapacity: 500_000,
  unitIndexCapacity: 1_000_000,
  attributionWindowMs: 604_800_000,
  flushIntervalMs: 1_000,
  maxFutureSkewMs: 300_000,
};
