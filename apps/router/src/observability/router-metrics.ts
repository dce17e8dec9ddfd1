import { Code } from '@verdict/errors';
import { Counter, Gauge, Histogram, type Registry } from '@verdict/telemetry';

/** Buckets of the request duration histogram, in seconds: 100 us to 10 s. */
export const ROUTER_DURATION_BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Label children of one (model, experiment, variant), cached so the hot path does no label hashing. */
interface RouteSeries {
  readonly duration: Histogram.Internal<'model' | 'experiment' | 'variant'>;
  readonly byCode: Array<Counter.Internal | undefined>;
  readonly labels: { model: string; experiment: string; variant: string };
}

/** Health of one endpoint of one pool, read at scrape time. */
export interface EndpointHealth {
  pool: string;
  endpoint: string;
  healthy: boolean;
}

/** The router's Prometheus metrics; names fixed by the shared decisions (docs/routing.md). */
export interface RouterMetrics {
  /** Counts one answered request and observes its duration. `code` is the gRPC status code. */
  request(model: string, experiment: string, variant: string, code: number, seconds: number): void;
  shadowCompared(experiment: string, variant: string, agree: boolean): void;
  shadowDropped(
    experiment: string,
    variant: string,
    reason: 'concurrency' | 'error' | 'residency',
  ): void;
  failover(model: string, experiment: string, from: string, to: string): void;
  /** A call sent again to another endpoint of `pool` after UNAVAILABLE. */
  retry(pool: string): void;
  eventsDropped(kind: 'exposure' | 'shadow_comparison', count: number): void;
  tableVersion(version: bigint): void;
}

export function createRouterMetrics(
  registry: Registry,
  endpointHealth: () => Iterable<EndpointHealth>,
): RouterMetrics {
  const registers = [registry];
  const requests = new Counter({
    name: 'verdict_router_requests_total',
    help: 'Routed requests by model, experiment, variant and gRPC status code name; per variant it is the traffic split actually observed',
    labelNames: ['model', 'experiment', 'variant', 'code'],
    registers,
  });
  const duration = new Histogram({
    name: 'verdict_router_request_duration_seconds',
    help: 'Time from a request arriving at the router to its answer leaving',
    labelNames: ['model', 'experiment', 'variant'],
    buckets: ROUTER_DURATION_BUCKETS,
    registers,
  });
  const shadowComparisons = new Counter({
    name: 'verdict_router_shadow_comparisons_total',
    help: 'Primary answers compared with their shadow copy; agree is "true" when the argmax agrees',
    labelNames: ['experiment', 'variant', 'agree'],
    registers,
  });
  const shadowDropped = new Counter({
    name: 'verdict_router_shadow_dropped_total',
    help: 'Shadow copies not sent (concurrency bound reached, or the shadow pool is outside the request residency region) or not compared (the shadow call failed)',
    labelNames: ['experiment', 'variant', 'reason'],
    registers,
  });
  const failovers = new Counter({
    name: 'verdict_router_failovers_total',
    help: 'Requests that failed on a treatment and were answered by control instead',
    labelNames: ['model', 'experiment', 'from', 'to'],
    registers,
  });
  const retries = new Counter({
    name: 'verdict_router_retries_total',
    help: 'Calls sent again to another endpoint of the pool after failing UNAVAILABLE',
    labelNames: ['pool'],
    registers,
  });
  const dropped = new Counter({
    name: 'verdict_router_events_dropped_total',
    help: 'Exposure and shadow events dropped because the buffer to the analyzer was full',
    labelNames: ['kind'],
    registers,
  });
  const version = new Gauge({
    name: 'verdict_router_table_version',
    help: 'Version of the routing table in force (0 before the first)',
    registers,
  });
  new Gauge({
    name: 'verdict_router_endpoint_healthy',
    help: '1 when an endpoint of a pool is serving (grpc.health.v1) and not ejected, else 0',
    labelNames: ['pool', 'endpoint'],
    registers,
    collect() {
      this.reset();
      for (const entry of endpointHealth()) {
        this.set({ pool: entry.pool, endpoint: entry.endpoint }, entry.healthy ? 1 : 0);
      }
    },
  });
  const series = new Map<string, RouteSeries>();
  const seriesOf = (model: string, experiment: string, variant: string): RouteSeries => {
    const key = `${model}\u0000${experiment}\u0000${variant}`;
    let entry = series.get(key);
    if (entry === undefined) {
      const labels = { model, experiment, variant };
      entry = { duration: duration.labels(labels), byCode: [], labels };
      series.set(key, entry);
    }
    return entry;
  };
  return {
    request(model, experiment, variant, code, seconds) {
      const entry = seriesOf(model, experiment, variant);
      let counter = entry.byCode[code];
      if (counter === undefined) {
        counter = requests.labels({ ...entry.labels, code: Code[code] ?? String(code) });
        entry.byCode[code] = counter;
      }
      counter.inc();
      entry.duration.observe(seconds);
    },
    shadowCompared(experiment, variant, agree) {
      shadowComparisons.inc({ experiment, variant, agree: agree ? 'true' : 'false' });
    },
    shadowDropped(experiment, variant, reason) {
      shadowDropped.inc({ experiment, variant, reason });
    },
    failover(model, experiment, from, to) {
      failovers.inc({ model, experiment, from, to });
    },
    retry(pool) {
      retries.inc({ pool });
    },
    eventsDropped(kind, count) {
      dropped.inc({ kind }, count);
    },
    tableVersion(value) {
      version.set(Number(value));
    },
  };
}
