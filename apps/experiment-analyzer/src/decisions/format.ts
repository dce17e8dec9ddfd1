import { experimentsV1 } from '@verdict/proto';

/** A number for a sentence: 3 significant digits, no exponent for ordinary magnitudes. */
export function num(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const abs = Math.abs(x);
  if (abs >= 1e6 || abs < 1e-3) return x.toExponential(2);
  return String(Number(x.toPrecision(3)));
}

/** A share as a percentage, e.g. "5.1%". */
export function pct(x: number): string {
  return `${num(x * 100)}%`;
}

/** A p-value, e.g. "p = 0.012" or "p < 0.001". */
export function pValue(p: number): string {
  return p < 0.001 ? 'p < 0.001' : `p = ${num(p)}`;
}

/** A metric value in its natural unit: rates as percentages, latencies in ms. */
export function metricValue(spec: experimentsV1.MetricSpec, x: number): string {
  if (spec.type === experimentsV1.MetricType.BINARY) return pct(x);
  if (spec.type === experimentsV1.MetricType.LATENCY) return `${num(x / 1000)} ms`;
  return num(x);
}

/** Milliseconds of a proto duration; 0 when unset. */
export function durationMs(d: { seconds: bigint; nanos: number } | undefined): number {
  return d === undefined ? 0 : Number(d.seconds) * 1000 + d.nanos / 1e6;
}

/** A duration for a sentence in the unit a person would say: "45 s", "12 min", "5.5 h", "3 days". */
export function duration(ms: number): string {
  if (ms < 60_000) return `${num(Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${num(Math.round(ms / 60_000))} min`;
  if (ms < 48 * 3_600_000) return `${num(ms / 3_600_000)} h`;
  return `${num(ms / 86_400_000)} days`;
}

/** A count for a sentence, with thousands separators: "4,894". */
export function count(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}
