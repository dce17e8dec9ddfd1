import { create } from '@bufbuild/protobuf';
import { timestampMs } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError, UnavailableError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { Store } from '@verdict/store';
import type { Logger } from '@verdict/telemetry';
import { AttributionIndex, type Assignment } from './attribution';
import { RecentIds } from './bounded-map';
import { experimentInfo, type ExperimentInfo } from './experiment-info';
import { INGEST_DEFAULTS, type IngestOptions } from './options';
import { Pending } from './pending';
import { RatioSums } from './ratio-sums';
import { StoreWriter } from './store-writer';
import { timeMs, validateExposures, validateOutcomes, validateShadowComparisons } from './validate';

/** What the ingest needs from the service. */
export interface IngestDeps {
  readonly store: Store;
  /** The current definition of an experiment, or undefined when there is none. */
  experiment(id: string): experimentsV1.Experiment | undefined;
  now(): Date;
  readonly logger: Pick<Logger, 'warn' | 'error'>;
  /** Sizes and windows; see {@link IngestOptions} for defaults. */
  readonly options?: IngestOptions;
}

/** Counts an operator wants to see (export them as metrics). */
export interface IngestStats {
  /** Exposures and comparisons skipped because their experiment or variant is unknown. */
  readonly ignoredExposures: number;
  readonly ignoredShadowComparisons: number;
  /** Outcomes that could not be attributed. */
  readonly unattributedOutcomes: number;
  /** Entries held by and dropped from the attribution index. */
  readonly requestsIndexed: number;
  readonly unitsIndexed: number;
  readonly requestsEvicted: number;
  readonly unitsEvicted: number;
}

/** The IngestService's logic: validation, deduplication, attribution and aggregation. */
export interface Ingest {
  recordExposures(
    request: experimentsV1.RecordExposuresRequest,
  ): Promise<experimentsV1.RecordExposuresResponse>;
  recordShadowComparisons(
    request: experimentsV1.RecordShadowComparisonsRequest,
  ): Promise<experimentsV1.RecordShadowComparisonsResponse>;
  recordOutcomes(
    request: experimentsV1.RecordOutcomesRequest,
  ): Promise<experimentsV1.RecordOutcomesResponse>;
  /** Writes every pending increment to the Store. */
  flush(): Promise<void>;
  /** Stops the background flush and flushes. */
  close(): Promise<void>;
  stats(): IngestStats;
}

const EXPOSURE = 1;
const SHADOW = 2;
const OUTCOME = 3;

/**
 * Creates the ingest. Each RPC validates its whole batch first (a bad event fails the call with
 * INVALID_ARGUMENT naming the field, and changes nothing), then aggregates the batch in memory
 * and answers only after those aggregates are written to the Store (flushes of concurrent calls
 * are grouped), so an acknowledged event is in the Store.
 */
export function createIngest(deps: IngestDeps): Ingest {
  const options = { ...INGEST_DEFAULTS, ...definedOnly(deps.options ?? {}) };
  for (const [field, value] of Object.entries(options)) {
    if (!(Number.isSafeInteger(value) && value > 0)) {
      throw new InvalidArgumentError({
        field: `options.${field}`,
        expected: 'a positive integer',
        received: String(value),
      });
    }
  }
  if (options.rollupMs % options.windowMs !== 0) {
    throw new InvalidArgumentError({
      field: 'options.rollupMs',
      expected: `a multiple of windowMs (${options.windowMs})`,
      received: String(options.rollupMs),
    });
  }
  if (options.windowMs % options.fineWindowMs !== 0) {
    throw new InvalidArgumentError({
      field: 'options.fineWindowMs',
      expected: `a divisor of windowMs (${options.windowMs})`,
      received: String(options.fineWindowMs),
    });
  }
  const ids = new RecentIds(options.dedupCapacity);
  const index = new AttributionIndex({
    requestCapacity: options.requestIndexCapacity,
    unitCapacity: options.unitIndexCapacity,
  });
  const pending = new Pending();
  const ratioSums = new RatioSums(options.unitIndexCapacity);
  const writer = new StoreWriter(deps.store, options.rollupMs, {
    windowMs: options.windowMs,
    fineUntil: (id) => {
      const experiment = deps.experiment(id);
      const started = experiment?.startTime ?? experiment?.createTime;
      return started === undefined ? undefined : timestampMs(started) + options.fineHorizonMs;
    },
  });
  let ignoredExposures = 0;
  let ignoredShadowComparisons = 0;
  let unattributedOutcomes = 0;
  let current: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  let closed = false;

  // Aggregated per fine window; the writer adds each one to its window and rollup as well.
  const windowOf = (ms: number) =>
    ms - (((ms % options.fineWindowMs) + options.fineWindowMs) % options.fineWindowMs);
  const eventTime = (time: Parameters<typeof timeMs>[0], now: number) => {
    const t = timeMs(time, now);
    return t > now + options.maxFutureSkewMs ? now : t;
  };
  const infoOf = (id: string): ExperimentInfo | undefined => {
    const experiment = deps.experiment(id);
    return experiment === undefined ? undefined : experimentInfo(experiment);
  };

  /** Group commit: calls arriving while a flush runs share the next one. */
  function flush(): Promise<void> {
    if (next === undefined) {
      const after = current ?? Promise.resolve();
      next = after
        .catch(() => undefined)
        .then(() => {
          next = undefined;
          const run = pending.empty
            ? Promise.resolve()
            : writer.write(pending).then(
                () => undefined,
                (error: unknown) => {
                  throw new UnavailableError('statistics could not be written to the store', {
                    cause: error,
                  });
                },
              );
          current = run;
          return run;
        });
    }
    return next;
  }

  const timer = setInterval(() => {
    if (pending.empty) return;
    flush().catch((error: unknown) =>
      deps.logger.warn(
        { err: error },
        'analyzer ingest: flush failed; increments kept for the next one',
      ),
    );
  }, options.flushIntervalMs);
  timer.unref();

  function requireOpen(): void {
    if (closed) {
      throw new UnavailableError('the analyzer is shutting down: ingest is closed');
    }
  }

  async function recordExposures(
    request: experimentsV1.RecordExposuresRequest,
  ): Promise<experimentsV1.RecordExposuresResponse> {
    requireOpen();
    validateExposures(request.events);
    const now = deps.now().getTime();
    let accepted = 0;
    let duplicates = 0;
    const infos = new Map<string, ExperimentInfo | undefined>();
    for (const event of request.events) {
      if (ids.has(EXPOSURE, event.eventId)) {
        duplicates++;
        continue;
      }
      let info = infos.get(event.experimentId);
      if (info === undefined && !infos.has(event.experimentId)) {
        info = infoOf(event.experimentId);
        infos.set(event.experimentId, info);
      }
      if (info === undefined || !info.shares.has(event.variant)) {
        ignoredExposures++;
        continue;
      }
      ids.addLast();
      const time = eventTime(event.time, now);
      const window = windowOf(time);
      const cell = pending.exposure(event.experimentId, window, event.variant);
      cell.add(Number(event.latencyUs), event.statusCode !== 0);
      const ref = index.ref(event.experimentId, event.variant);
      if (index.expose(event.requestId, event.unitId, ref, time)) {
        cell.units++;
        for (const [variant, share] of info.shares) {
          pending.exposure(event.experimentId, window, variant).expectedUnits += share;
        }
      }
      accepted++;
    }
    await flush();
    return create(experimentsV1.RecordExposuresResponseSchema, {
      acceptedCount: BigInt(accepted),
      duplicateCount: BigInt(duplicates),
    });
  }

  async function recordShadowComparisons(
    request: experimentsV1.RecordShadowComparisonsRequest,
  ): Promise<experimentsV1.RecordShadowComparisonsResponse> {
    requireOpen();
    validateShadowComparisons(request.comparisons);
    const now = deps.now().getTime();
    let accepted = 0;
    let duplicates = 0;
    for (const c of request.comparisons) {
      if (ids.has(SHADOW, c.eventId)) {
        duplicates++;
        continue;
      }
      const info = infoOf(c.experimentId);
      if (info === undefined || !info.variants.has(c.shadowVariant)) {
        ignoredShadowComparisons++;
        continue;
      }
      ids.addLast();
      const cell = pending.shadow(
        c.experimentId,
        windowOf(eventTime(c.time, now)),
        c.shadowVariant,
      );
      cell.comparisons++;
      if (c.shadowStatusCode !== 0) {
        cell.errors++;
      } else {
        cell.ok++;
        if (c.outputsAgree) cell.agree++;
        cell.meanAbsDiff += c.meanAbsDiff;
        cell.meanAbsDiffSquares += c.meanAbsDiff * c.meanAbsDiff;
        cell.maxAbsDiff = Math.max(cell.maxAbsDiff, c.maxAbsDiff);
        const diff = Number(c.shadowLatencyUs) - Number(c.primaryLatencyUs);
        cell.latencyDiff += diff;
        cell.latencyDiffSquares += diff * diff;
      }
      accepted++;
    }
    await flush();
    return create(experimentsV1.RecordShadowComparisonsResponseSchema, {
      acceptedCount: BigInt(accepted),
      duplicateCount: BigInt(duplicates),
    });
  }

  /** Assignments an outcome is attributed to (read without touching recency). */
  function targetsOf(outcome: experimentsV1.Outcome, time: number): Assignment[] {
    const subject = outcome.subject;
    const found =
      subject.case === 'requestId'
        ? index.byRequest(subject.value)
        : subject.case === 'unitId'
          ? index.byUnit(subject.value)
          : undefined;
    if (found === undefined) return [];
    return found.filter(
      (a) =>
        (outcome.experimentId === '' || a.ref.experiment === outcome.experimentId) &&
        time - a.timeMs <= options.attributionWindowMs,
    );
  }

  /** Experiments for which this outcome is a covariate of the unit. */
  function covariateTargets(outcome: experimentsV1.Outcome, targets: Assignment[]): string[] {
    if (outcome.subject.case !== 'unitId') return [];
    const experiments = new Set(targets.map((a) => a.ref.experiment));
    if (outcome.experimentId !== '') experiments.add(outcome.experimentId);
    return [...experiments].filter((e) => infoOf(e)?.covariates.has(outcome.metric) === true);
  }

  async function recordOutcomes(
    request: experimentsV1.RecordOutcomesRequest,
  ): Promise<experimentsV1.RecordOutcomesResponse> {
    requireOpen();
    validateOutcomes(request.outcomes);
    const now = deps.now().getTime();
    // First pass: resolve and check everything, so a bad value changes nothing.
    const plans = request.outcomes.map((outcome, i) => {
      const time = eventTime(outcome.time, now);
      const targets = targetsOf(outcome, time).filter(
        (a) => infoOf(a.ref.experiment) !== undefined,
      );
      for (const a of targets) {
        const spec = infoOf(a.ref.experiment)!.metrics.get(outcome.metric);
        if (
          spec?.type === experimentsV1.MetricType.BINARY &&
          outcome.value !== 0 &&
          outcome.value !== 1
        ) {
          throw new InvalidArgumentError({
            field: `outcomes[${i}].value`,
            expected: `0 or 1 (metric ${outcome.metric} of experiment ${a.ref.experiment} is binary)`,
            received: String(outcome.value),
          });
        }
      }
      return { outcome, time, targets, covariateOf: covariateTargets(outcome, targets) };
    });
    let accepted = 0;
    let duplicates = 0;
    let unattributed = 0;
    for (const { outcome, time, targets, covariateOf } of plans) {
      if (ids.has(OUTCOME, outcome.eventId)) {
        duplicates++;
        continue;
      }
      if (targets.length === 0 && covariateOf.length === 0) {
        unattributed++;
        continue;
      }
      ids.addLast();
      const unitId = outcome.subject.case === 'unitId' ? outcome.subject.value : undefined;
      if (covariateOf.length > 0) index.setCovariate(unitId!, outcome.metric, outcome.value);
      const window = windowOf(time);
      const value = outcome.value;
      for (const { ref } of targets) {
        const info = infoOf(ref.experiment);
        // A ratio metric's own counters hold per-unit sums; an outcome named like it is not a
        // plain observation of it.
        if (info?.metrics.get(outcome.metric)?.type !== experimentsV1.MetricType.RATIO) {
          const cell = pending.outcome(ref.experiment, window, ref.variant, outcome.metric);
          cell.n++;
          cell.sum += value;
          cell.sumSquares += value * value;
        }
        if (unitId !== undefined) {
          for (const { ratio, part } of info?.ratioParts.get(outcome.metric) ?? []) {
            const cell = pending.ratio(ref.experiment, window, ref.variant, ratio);
            ratioSums.add(cell, `${ref.experiment}\u0000${ratio}\u0000${unitId}`, part, value);
          }
        }
        const covariate = infoOf(ref.experiment)?.covariateOf.get(outcome.metric);
        if (covariate !== undefined) {
          // A unit without a reported covariate enters with x = 0: still independent of the
          // assignment, so the adjusted difference stays unbiased.
          const x = (unitId === undefined ? undefined : index.covariate(unitId, covariate)) ?? 0;
          const c = pending.cuped(ref.experiment, window, ref.variant, outcome.metric);
          c.n++;
          c.sumY += value;
          c.sumYSquares += value * value;
          c.sumX += x;
          c.sumXSquares += x * x;
          c.sumXY += x * value;
        }
      }
      accepted++;
    }
    unattributedOutcomes += unattributed;
    await flush();
    return create(experimentsV1.RecordOutcomesResponseSchema, {
      acceptedCount: BigInt(accepted),
      duplicateCount: BigInt(duplicates),
      unattributedCount: BigInt(unattributed),
    });
  }

  return {
    recordExposures,
    recordShadowComparisons,
    recordOutcomes,
    flush,
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(timer);
      await flush();
    },
    stats() {
      const s = index.stats();
      return {
        ignoredExposures,
        ignoredShadowComparisons,
        unattributedOutcomes,
        requestsIndexed: s.requests,
        unitsIndexed: s.units,
        requestsEvicted: s.requestsEvicted,
        unitsEvicted: s.unitsEvicted,
      };
    },
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
