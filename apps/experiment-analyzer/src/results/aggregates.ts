import type { Store } from '@verdict/store';
import { decodeDouble } from '../ingest/store-writer';
import {
  FIELD,
  SHADOW_METRIC,
  counterKey,
  indexKey,
  parseMember,
  shadowMaxKey,
} from '../ingest/stat-keys';

/** field -> value */
export type Fields = Map<string, number>;
/** variant -> metric -> fields */
export type VariantMetrics = Map<string, Map<string, Fields>>;

/** The sufficient statistics of an experiment over a time range, summed over windows. */
export interface Aggregates {
  /** Windows (start, epoch ms) with data, ascending. */
  readonly windows: readonly number[];
  readonly totals: VariantMetrics;
  /** The same statistics per window (bandit analysis by period). */
  readonly byWindow: ReadonlyMap<number, VariantMetrics>;
  /** Largest output difference per shadow variant. */
  readonly shadowMax: ReadonlyMap<string, number>;
}

/** Reads the counters of every window that overlaps [startMs, endMs). */
export async function readAggregates(
  store: Store,
  experimentId: string,
  windowMs: number,
  startMs: number,
  endMs: number,
): Promise<Aggregates> {
  const members = await store.sortedRange(indexKey(experimentId), {
    min: startMs - windowMs + 1,
    max: endMs - 1,
  });
  const parsed = members.map((m) => ({ member: m.member, parts: parseMember(m.member) }));
  const values = await Promise.all(
    parsed.map((p) =>
      p.parts === undefined ? 0 : store.getCounter(counterKey(experimentId, p.member)),
    ),
  );
  const totals: VariantMetrics = new Map();
  const byWindow = new Map<number, VariantMetrics>();
  const shadowWindows: Array<{ window: number; variant: string }> = [];
  parsed.forEach(({ parts }, i) => {
    if (parts === undefined) return;
    add(totals, parts.variant, parts.metric, parts.field, values[i]);
    let window = byWindow.get(parts.window);
    if (window === undefined) {
      window = new Map();
      byWindow.set(parts.window, window);
    }
    add(window, parts.variant, parts.metric, parts.field, values[i]);
    if (parts.metric === SHADOW_METRIC && parts.field === FIELD.shadowOk) {
      shadowWindows.push({ window: parts.window, variant: parts.variant });
    }
  });
  const maxima = await Promise.all(
    shadowWindows.map((s) => store.get(shadowMaxKey(experimentId, s.window, s.variant))),
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
