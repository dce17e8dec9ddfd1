import type { Store } from '@verdict/store';
import { decodeDouble } from '../ingest/store-writer';
import {
  FIELD,
  SHADOW_METRIC,
  counterKey,
  indexKey,
  parseMember,
  shadowMaxKey,
  type Level,
} from '../ingest/stat-keys';

/** field -> value */
export type Fields = Map<string, number>;
/** variant -> metric -> fields */
export type VariantMetrics = Map<string, Map<string, Fields>>;

/** The sufficient statistics of an experiment over a time range, summed over windows. */
export interface Aggregates {
  /** Windows (start, epoch ms) with data, ascending (only when read with `periods`). */
  readonly windows: readonly number[];
  readonly totals: VariantMetrics;
  /** The same statistics per window (bandit analysis by period; only with `periods`). */
  readonly byWindow: ReadonlyMap<number, VariantMetrics>;
  /** Largest output difference per shadow variant. */
  readonly shadowMax: ReadonlyMap<string, number>;
}

/** Window and rollup widths the ingest writes with. */
export interface Widths {
  readonly windowMs: number;
  readonly rollupMs: number;
  /** The fine level of this experiment, when it has one (see `IngestOptions.fineWindowMs`). */
  readonly fine?: FineSpan;
}

/** Where an experiment's fine level holds every event: fine windows in [from, until). */
export interface FineSpan {
  readonly windowMs: number;
  readonly from: number;
  readonly until: number;
}

/** One sorted-set range of one level to read. */
interface Span {
  readonly level: Level;
  readonly min: number;
  readonly max: number;
}

/**
 * The index ranges covering the windows that overlap [startMs, endMs): whole rollups (days)
 * inside it from the rollup level, the windows at its edges from the window level; with
 * `periods`, every window from the window level (per-window statistics are needed). When the
 * range ends inside a window that the fine level covers, that window's part before the end
 * comes from the fine level instead (the fine windows overlapping it).
 */
export function spansOf(widths: Widths, startMs: number, endMs: number, periods: boolean): Span[] {
  const { windowMs, rollupMs, fine } = widths;
  const first = Math.floor(startMs / windowMs) * windowMs;
  let last = Math.ceil(endMs / windowMs) * windowMs;
  if (periods) return [{ level: 'w', min: first, max: last - 1 }];
  const tail: Span[] = [];
  const cut = Math.floor(endMs / windowMs) * windowMs;
  if (fine !== undefined && cut < endMs && cut >= fine.from && endMs <= fine.until && cut > first) {
    tail.push({ level: 'f', min: cut, max: Math.ceil(endMs / fine.windowMs) * fine.windowMs - 1 });
    last = cut;
  }
  const headEnd = Math.min(last, Math.ceil(first / rollupMs) * rollupMs);
  const tailStart = Math.max(headEnd, Math.floor(last / rollupMs) * rollupMs);
  const spans: Span[] = [];
  if (first < headEnd) spans.push({ level: 'w', min: first, max: headEnd - 1 });
  if (headEnd < tailStart) spans.push({ level: 'r', min: headEnd, max: tailStart - 1 });
  if (tailStart < last) spans.push({ level: 'w', min: tailStart, max: last - 1 });
  return [...spans, ...tail];
}

/**
 * Reads the counters of every window that overlaps [startMs, endMs). `byWindow` is filled only
 * with `periods` (it needs the window level throughout, so it reads more counters).
 */
export async function readAggregates(
  store: Store,
  experimentId: string,
  widths: Widths,
  startMs: number,
  endMs: number,
  periods = false,
): Promise<Aggregates> {
  const spans = spansOf(widths, startMs, endMs, periods);
  const listed = await Promise.all(
    spans.map((span) =>
      store.sortedRange(indexKey(experimentId, span.level), { min: span.min, max: span.max }),
    ),
  );
  const parsed = spans.flatMap((span, i) =>
    listed[i].map((m) => ({ level: span.level, member: m.member, parts: parseMember(m.member) })),
  );
  const values = await Promise.all(
    parsed.map((p) =>
      p.parts === undefined ? 0 : store.getCounter(counterKey(experimentId, p.level, p.member)),
    ),
  );
  const totals: VariantMetrics = new Map();
  const byWindow = new Map<number, VariantMetrics>();
  const shadowWindows: Array<{ level: Level; window: number; variant: string }> = [];
  parsed.forEach(({ level, parts }, i) => {
    if (parts === undefined) return;
    add(totals, parts.variant, parts.metric, parts.field, values[i]);
    if (periods) {
      let window = byWindow.get(parts.window);
      if (window === undefined) {
        window = new Map();
        byWindow.set(parts.window, window);
      }
      add(window, parts.variant, parts.metric, parts.field, values[i]);
    }
    if (parts.metric === SHADOW_METRIC && parts.field === FIELD.shadowOk) {
      shadowWindows.push({ level, window: parts.window, variant: parts.variant });
    }
  });
  const maxima = await Promise.all(
    shadowWindows.map((s) => store.get(shadowMaxKey(experimentId, s.level, s.window, s.variant))),
  );
  const shadowMax = new Map<string, number>();
  maxima.forEach((entry, i) => {
    if (entry === undefined) return;
    const variant = shadowWindows[i].variant;
    shadowMax.set(variant, Math.max(shadowMax.get(variant) ?? 0, decodeDouble(entry.value)));
  });
  return {
    windows: [...byWindow.keys()].sort((a, b) => a - b),
    totals,
    byWindow,
    shadowMax,
  };
}

function add(target: VariantMetrics, variant: string, metric: string, field: string, v: number) {
  let metrics = target.get(variant);
  if (metrics === undefined) {
    metrics = new Map();
    target.set(variant, metrics);
  }
  let fields = metrics.get(metric);
  if (fields === undefined) {
    fields = new Map();
    metrics.set(metric, fields);
  }
  fields.set(field, (fields.get(field) ?? 0) + v);
}

/** A field of a variant's metric; 0 when absent. */
export function field(stats: VariantMetrics, variant: string, metric: string, name: string) {
  return stats.get(variant)?.get(metric)?.get(name) ?? 0;
}
