/** Value at quantile `q` (0..1) of unsorted samples, nearest rank. */
export function quantile(samples: readonly number[], q: number): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}

/** Median and (max - min) / median of repeated measurements. */
export function summarize(runs: readonly number[]): {
  median: number;
  min: number;
  max: number;
  spread: number;
} {
  const median = quantile(runs, 0.5);
  const min = Math.min(...runs);
  const max = Math.max(...runs);
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median };
}
