/** The router's ops port in the dev stack (README's port table). */
export const DEFAULT_ROUTER_METRICS_URL = 'http://127.0.0.1:9101/metrics';

/** How long `verdict routes show` waits for the router's /metrics. */
export const METRICS_TIMEOUT_MS = 5000;

/** Requests the router counted for one model, experiment and variant, over every status code. */
export interface ObservedCount {
  model: string;
  /** Empty for requests outside every experiment. */
  experiment: string;
  variant: string;
  requests: number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\S+)?$/;

/** Labels of one Prometheus text-format sample: `a="x",b="y\"z"` -> {a: 'x', b: 'y"z'}. */
export function parseLabels(text: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const pattern = /\s*([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?/gy;
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text)) !== null) {
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    if (pattern.lastIndex >= text.length) break;
  }
  return labels;
}

/**
 * Sums `verdict_router_requests_total{model,experiment,variant,code}` over `code` from a
 * Prometheus text exposition (what the router serves on /metrics).
 */
export function observedCounts(exposition: string): ObservedCount[] {
  const counts = new Map<string, ObservedCount>();
  for (const line of exposition.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = SAMPLE.exec(line.trim());
    if (match === null || match[1] !== 'verdict_router_requests_total') continue;
    const labels = parseLabels(match[2] ?? '');
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    const key = JSON.stringify([labels.model ?? '', labels.experiment ?? '', labels.variant ?? '']);
    const entry = counts.get(key) ?? {
      model: labels.model ?? '',
      experiment: labels.experiment ?? '',
      variant: labels.variant ?? '',
      requests: 0,
    };
    entry.requests += value;
    counts.set(key, entry);
  }
  return [...counts.values()];
}

/** `host:port` or a URL -> the /metrics URL to read. */
export function metricsUrl(value: string | undefined): string {
  if (value === undefined) return DEFAULT_ROUTER_METRICS_URL;
  if (/^https?:\/\//.test(value)) return value;
  return `http://${value}/metrics`;
}

/** Reads the router's counts; the error names the URL when it cannot be read. */
export async function readObservedCounts(url: string): Promise<ObservedCount[]> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(METRICS_TIMEOUT_MS) });
  } catch (error) {
    // fetch says only "fetch failed"; the reason (ECONNREFUSED, bad port, ...) is its cause.
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new Error(
      `cannot read ${url}: ${cause?.code ?? cause?.message ?? (error as Error).message}`,
    );
  }
  if (response.status !== 200) throw new Error(`${url} answered HTTP ${response.status}`);
  return observedCounts(await response.text());
}
