import type { DriftPoint, DriftSeries } from './source';

/** Drift of a model laid out for plotting: one value per feature per window time. */
export interface DriftView {
  readonly model: string;
  /** False when the analyzer monitors no drift. */
  readonly available: boolean;
  readonly psiThreshold: number | null;
  /** Window times in ms since the epoch, ascending. */
  readonly times: readonly number[];
  readonly features: readonly {
    readonly feature: string;
    /** PSI at each time; null where the feature has no point. */
    readonly psi: readonly (number | null)[];
    readonly drifted: readonly boolean[];
  }[];
}

/** Lays out the last `maxTimes` window times of a drift series. */
export function driftView(
  model: string,
  series: DriftSeries | undefined,
  maxTimes: number,
): DriftView {
  if (series === undefined) {
    return { model, available: false, psiThreshold: null, times: [], features: [] };
  }
  const allTimes = [...new Set(series.points.map((point) => point.time.getTime()))].sort(
    (a, b) => a - b,
  );
  const times = allTimes.slice(Math.max(0, allTimes.length - maxTimes));
  const column = new Map(times.map((t, index) => [t, index]));
  const versions = new Set(series.points.map((point) => point.version ?? ''));
  const label = (point: DriftPoint) =>
    versions.size > 1 ? `${point.feature} (version ${point.version ?? '?'})` : point.feature;
  const features = new Map<string, { psi: (number | null)[]; drifted: boolean[] }>();
  for (const point of series.points) {
    const index = column.get(point.time.getTime());
    if (index === undefined) continue;
    const name = label(point);
    let entry = features.get(name);
    if (entry === undefined) {
      entry = { psi: times.map(() => null), drifted: times.map(() => false) };
      features.set(name, entry);
    }
    entry.psi[index] = Number.isFinite(point.psi) ? point.psi : null;
    entry.drifted[index] = point.drifted;
  }
  return {
    model,
    available: true,
    psiThreshold: series.psiThreshold ?? null,
    times,
    features: [...features.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([feature, entry]) => ({ feature, ...entry })),
  };
}
