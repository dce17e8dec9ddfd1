/**
 * The over-time view of an experiment: for each point of a {@link timeGrid}, the results of the
 * cumulative range from the experiment's start to that point. Each point is one results() call
 * over sufficient statistics, so the cost grows with the number of points, not of events; past
 * points are cached (bounded, least recently used first out) and only the point at "now" is
 * recomputed on every poll.
 */
import { timestampMs } from '@bufbuild/protobuf/wkt';
import type { experimentsV1 } from '@verdict/proto';
import { INGEST_DEFAULTS } from '../ingest/options';
import type { DashboardSource } from './source';
import { timeGrid } from './time-grid';

/** Options of {@link createTimeseries}. */
export interface TimeseriesOptions {
  /**
   * Cached points across all experiments; the least recently used go first.
   * @default 5000
   */
  readonly maxCachedPoints?: number;
  /**
   * How long a past point is reused. Late outcomes still change past ranges, so a cached point
   * is recomputed after this long.
   * @default 60000
   */
  readonly cacheTtlMs?: number;
  /**
   * Resolution of the statistics: the ingest's window. Plot steps are multiples of it, so that
   * every point adds whole windows (a finer step would repeat the same windows).
   * @default 1000
   */
  readonly minStepMs?: number;
  /**
   * Resolution of the statistics while an experiment is young: the ingest's fine window. While
   * the experiment is at most `fineHorizonMs` old, plot steps are multiples of it, so that a
   * two-minute-old experiment gets a point every ten seconds instead of one point.
   * @default the ingest's default `fineWindowMs` (10 s)
   */
  readonly fineStepMs?: number;
  /**
   * How long after its start an experiment's statistics are kept per fine window (the ingest's
   * `fineHorizonMs`).
   * @default the ingest's default `fineHorizonMs` (2 hours)
   */
  readonly fineHorizonMs?: number;
  /**
   * How long the point at "now" is shared between polls (several viewers, or the page and its
   * prefetch); it then shows data up to this much older than its time.
   * @default 1000
   */
  readonly nowTtlMs?: number;
  /**
   * Points computed at once; the server answers other requests between such batches.
   * @default 4
   */
  readonly concurrency?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** One variant at one point. */
export interface VariantPoint {
  readonly variant: string;
  /** Share of the requests served between the previous point and this one. */
  readonly share: number | null;
  /** Cumulative requests and units up to this point. */
  readonly requests: number;
  readonly units: number;
  /** Cumulative primary metric with its confidence interval; null before any observation. */
  readonly mean: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
  readonly n: number;
}

/** One shadow variant at one point. */
export interface ShadowPoint {
  readonly variant: string;
  readonly comparisons: number;
  readonly agreement: number | null;
  readonly lower: number | null;
  readonly upper: number | null;
}

/** The series of one experiment, one entry per point. */
export interface Timeseries {
  readonly experimentId: string;
  readonly metric: string;
  readonly stepMs: number;
  /** Point times in ms since the epoch, ascending. */
  readonly times: readonly number[];
  /** Answering variants in the order of the results, each with one entry per time. */
  readonly variants: readonly {
    readonly variant: string;
    readonly points: readonly VariantPoint[];
  }[];
  readonly shadows: readonly {
    readonly variant: string;
    readonly points: readonly ShadowPoint[];
  }[];
}

export interface TimeseriesBuilder {
  /** The series of `experiment` at up to `points` points. */
  build(experiment: experimentsV1.Experiment, points: number): Promise<Timeseries>;
  /** Points currently cached (for tests and metrics). */
  cachedPoints(): number;
}

interface CacheEntry {
  readonly results: Promise<experimentsV1.Results>;
  readonly expiresAt: number;
}

export function createTimeseries(
  source: Pick<DashboardSource, 'results'>,
  options: TimeseriesOptions = {},
): TimeseriesBuilder {
  const maxCachedPoints = options.maxCachedPoints ?? 5000;
  const cacheTtlMs = options.cacheTtlMs ?? 60_000;
  const now = options.now ?? Date.now;
  const minStepMs = options.minStepMs ?? 1000;
  const fineStepMs = options.fineStepMs ?? INGEST_DEFAULTS.fineWindowMs;
  const fineHorizonMs = options.fineHorizonMs ?? INGEST_DEFAULTS.fineHorizonMs;
  const nowTtlMs = options.nowTtlMs ?? 1000;
  const concurrency = Math.max(1, options.concurrency ?? 4);
  // A Map iterates in insertion order: re-inserting on use makes the first key the least recent.
  const cache = new Map<string, CacheEntry>();

  function cachedResults(
    experiment: experimentsV1.Experiment,
    endMs: number | undefined,
    at: number,
    key: string,
    ttlMs: number,
  ): Promise<experimentsV1.Results> {
    const hit = cache.get(key);
    if (hit !== undefined && hit.expiresAt > at) {
      cache.delete(key);
      cache.set(key, hit);
      return hit.results;
    }
    const results = source.results(experiment, endMs === undefined ? {} : { end: new Date(endMs) });
    cache.delete(key);
    cache.set(key, { results, expiresAt: at + ttlMs });
    // A failed computation is not kept: the next poll tries again.
    results.catch(() => {
      if (cache.get(key)?.results === results) cache.delete(key);
    });
    while (cache.size > maxCachedPoints) cache.delete(cache.keys().next().value!);
    return results;
  }

  async function build(experiment: experimentsV1.Experiment, points: number): Promise<Timeseries> {
    const at = now();
    // Ranges are cumulative from the very beginning; the axis starts when it last started.
    const started = experiment.startTime ?? experiment.createTime;
    const startMs = started !== undefined ? timestampMs(started) : at;
    const endMs =
      experiment.endTime !== undefined ? Math.min(at, timestampMs(experiment.endTime)) : at;
    const young = endMs - startMs <= fineHorizonMs && fineStepMs < minStepMs;
    const grid = timeGrid(
      startMs,
      Math.max(startMs, endMs),
      points,
      young ? fineStepMs : minStepMs,
    );
    const last = grid.ends.length - 1;
    const ended = experiment.endTime !== undefined && endMs < at;
    const point = (index: number) =>
      // The last point is "now" (everything so far: an open range) or the end, shared only by
      // polls within nowTtlMs.
      index === last
        ? cachedResults(
            experiment,
            ended ? grid.ends[index] : undefined,
            at,
            `${experiment.id}\u0000now`,
            nowTtlMs,
          )
        : cachedResults(
            experiment,
            grid.ends[index],
            at,
            `${experiment.id}\u0000${grid.ends[index]}`,
            cacheTtlMs,
          );
    // A few points at a time, yielding to I/O in between: with the embedded store a results
    // computation never waits, so without the yields a cold series would hold up every other
    // request (the page's own scripts included) until it is done.
    const all: experimentsV1.Results[] = [];
    for (let first = 0; first <= last; first += concurrency) {
      const batch = grid.ends.slice(first, first + concurrency).map((_, i) => point(first + i));
      all.push(...(await Promise.all(batch)));
      if (first + concurrency <= last) await new Promise((resolve) => setImmediate(resolve));
    }
    return assemble(experiment, grid.stepMs, grid.ends, all);
  }

  return { build, cachedPoints: () => cache.size };
}

function assemble(
  experiment: experimentsV1.Experiment,
  stepMs: number,
  times: readonly number[],
  all: readonly experimentsV1.Results[],
): Timeseries {
  const metric = experiment.primaryMetric?.name ?? '';
  const variantNames = unique(all.flatMap((results) => results.variants.map((v) => v.variant)));
  const shadowNames = unique(all.flatMap((results) => results.shadows.map((s) => s.variant)));
  const requestsAt = (index: number, variant: string) =>
    Number(all[index]?.variants.find((v) => v.variant === variant)?.requests ?? 0n);
  const totalAt = (index: number) => variantNames.reduce((sum, v) => sum + requestsAt(index, v), 0);

  const variants = variantNames.map((variant) => ({
    variant,
    points: all.map((results, index): VariantPoint => {
      const entry = results.variants.find((v) => v.variant === variant);
      const requests = Number(entry?.requests ?? 0n);
      const delta = requests - (index > 0 ? requestsAt(index - 1, variant) : 0);
      const totalDelta = totalAt(index) - (index > 0 ? totalAt(index - 1) : 0);
      const result = entry?.metrics.find((m) => m.metric === metric);
      const observed = result !== undefined && result.n > 0n;
      return {
        variant,
        share: totalDelta > 0 ? delta / totalDelta : null,
        requests,
        units: Number(entry?.units ?? 0n),
        mean: observed ? result.mean : null,
        lower: observed && result.ci ? result.ci.lower : null,
        upper: observed && result.ci ? result.ci.upper : null,
        n: Number(result?.n ?? 0n),
      };
    }),
  }));

  const shadows = shadowNames.map((variant) => ({
    variant,
    points: all.map((results): ShadowPoint => {
      const entry = results.shadows.find((s) => s.variant === variant);
      const observed = entry !== undefined && entry.comparisons > 0n;
      return {
        variant,
        comparisons: Number(entry?.comparisons ?? 0n),
        agreement: observed ? entry.agreementRate : null,
        lower: observed && entry.agreementCi ? entry.agreementCi.lower : null,
        upper: observed && entry.agreementCi ? entry.agreementCi.upper : null,
      };
    }),
  }));

  return { experimentId: experiment.id, metric, stepMs, times, variants, shadows };
}

function unique(names: readonly string[]): string[] {
  return [...new Set(names)];
}
