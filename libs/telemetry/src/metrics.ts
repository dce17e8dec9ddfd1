import { Registry, collectDefaultMetrics } from 'prom-client';

/** Options of {@link createMetricsRegistry}. */
export interface MetricsRegistryOptions {
  /** Added as the `service` label to every metric of the registry. */
  service: string;
  /**
   * Also collect Node's process metrics (CPU, memory, event-loop lag, GC, handles).
   * @default true
   */
  collectDefault?: boolean;
}

/**
 * prom-client's gauges whose names end in `_total`, which `promtool check metrics` rejects
 * (only counters may carry the suffix). Each has a by-`type` twin without the suffix
 * (`nodejs_active_handles` ...), whose `sum()` gives the same number.
 */
export const DROPPED_DEFAULT_METRICS: readonly string[] = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * Creates a Prometheus registry for one service. Each service owns its registry instead of
 * prom-client's global one, so tests (and several services in one process) never collide.
 * Create metrics on it with `new Counter({ ..., registers: [registry] })`.
 */
export function createMetricsRegistry(options: MetricsRegistryOptions): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service: options.service });
  if (options.collectDefault ?? true) {
    collectDefaultMetrics({ register: registry });
    for (const name of DROPPED_DEFAULT_METRICS) {
      registry.removeSingleMetric(name);
    }
  }
  return registry;
}
