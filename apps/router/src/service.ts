import type { ServiceContext } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import { createServingAudit } from './audit/serving-audit';
import type { Config } from './config';
import {
  createEventReporter,
  DISCARDING_REPORTER,
  grpcIngestTransport,
  type EventReporter,
} from './events/event-reporter';
import { createInferenceHandlers } from './handlers';
import { createRouterMetrics, type EndpointHealth } from './observability/router-metrics';
import { EndpointRegistry } from './pools/endpoint-registry';
import { InferenceRouter } from './routing/inference-router';
import { ShadowRunner } from './shadow/shadow-runner';
import { watchAnalyzerTables, type AnalyzerTableSource } from './table/analyzer-table-source';
import { watchTableFile, type FileTableSource } from './table/file-table-source';
import { RouterStateHolder } from './table/router-state';

/** How long stopping waits for queued events and shadow copies. */
const FLUSH_ON_STOP_MS = 5000;
/** How often readiness (ops /readyz and grpc.health.v1) is brought up to date. */
const READINESS_CHECK_MS = 250;

/** The router's setup step for runServiceProcess / runService. */
export async function setupRouter(
  context: ServiceContext<Config>,
): Promise<{ stop: () => Promise<void>; router: InferenceRouter; holder: RouterStateHolder }> {
  const { config, server, logger, clientTransport: transport } = context;
  const endpoints = new EndpointRegistry(
    {
      transport,
      ejectionMs: config.upstream.ejectionMs,
      maxEjectionMs: config.upstream.maxEjectionMs,
      healthRetryMs: config.upstream.healthRetryMs,
      onChange: (endpoint) =>
        logger.info(
          {
            endpoint: endpoint.address,
            serving: endpoint.serving,
            ejected: endpoint.ejectedUntil > Date.now(),
          },
          'endpoint availability changed',
        ),
    },
    config.upstream.drainMs,
  );
  // Endpoint health is read at scrape time, by which time the holder exists.
  const metrics = createRouterMetrics(context.metrics, () => endpointHealth(holder));
  const holder = new RouterStateHolder(endpoints, (pool) => metrics.retry(pool));
  holder.onApplied((state) => metrics.tableVersion(state.table.version));

  const analyzer = config.routing.analyzerAddress;
  const events: EventReporter =
    analyzer === undefined
      ? DISCARDING_REPORTER
      : createEventReporter({
          transport: grpcIngestTransport(analyzer, transport),
          maxBuffered: config.events.maxBuffered,
          batchSize: config.events.batchSize,
          lingerMs: config.events.lingerMs,
          retryInitialMs: config.events.retryInitialMs,
          retryMaxMs: config.events.retryMaxMs,
          onDropped: (kind, count) => metrics.eventsDropped(kind, count),
          logger,
        });
  const audit = createServingAudit({
    sink: context.audit,
    unitHashKey: config.audit.unitHashKey,
    onError: (error) =>
      logger.error({ err: (error as Error).message }, 'audit sink refused a serving record'),
  });
  const shadow = new ShadowRunner({
    maxConcurrent: config.shadow.maxConcurrent,
    timeoutMs: config.shadow.timeoutMs,
    metrics,
    events,
  });
  const router = new InferenceRouter({
    holder,
    metrics,
    events,
    shadow,
    audit,
    unitHeader: config.routing.unitHeader,
    residencyHeader: config.routing.residencyHeader,
    defaultTimeoutMs: config.upstream.timeoutMs,
  });
  server.addRaw(inference.GRPCInferenceService, createInferenceHandlers(router));

  let fileSource: FileTableSource | undefined;
  let analyzerSource: AnalyzerTableSource | undefined;
  if (config.routing.tableFile !== undefined) {
    fileSource = watchTableFile({
      path: config.routing.tableFile,
      holder,
      logger,
      pollMs: config.routing.tableFilePollMs,
    });
    await fileSource.loaded;
  }
  if (analyzer !== undefined) {
    analyzerSource = watchAnalyzerTables({
      address: analyzer,
      transport,
      holder,
      logger,
      retryInitialMs: config.routing.watchRetryInitialMs,
      retryMaxMs: config.routing.watchRetryMaxMs,
    });
  }
  if (fileSource === undefined && analyzerSource === undefined) {
    logger.warn(
      {},
      'no routing table source (VERDICT_ROUTING_TABLE_FILE or VERDICT_ROUTING_ANALYZER_ADDRESS): the router will not become ready',
    );
  }

  let lastReady: boolean | undefined;
  const readinessTimer = setInterval(() => {
    const ready = router.ready();
    if (ready === lastReady) return;
    lastReady = ready;
    context.readiness.set(
      ready,
      ready ? undefined : 'no routing table yet, or no pool with a healthy endpoint',
    );
    server.setHealth(inference.GRPCInferenceService.typeName, ready ? 'SERVING' : 'NOT_SERVING');
  }, READINESS_CHECK_MS);
  readinessTimer.unref();

  return {
    router,
    holder,
    async stop() {
      clearInterval(readinessTimer);
      fileSource?.close();
      analyzerSource?.close();
      await Promise.race([shadow.idle(), delayMs(FLUSH_ON_STOP_MS)]);
      audit.drain();
      await events.close(analyzer === undefined ? 0 : FLUSH_ON_STOP_MS);
      endpoints.close();
    },
  };
}

function* endpointHealth(holder: RouterStateHolder): Iterable<EndpointHealth> {
  const state = holder.current;
  if (state === undefined) return;
  const now = Date.now();
  for (const pool of state.pools.values()) {
    for (const endpoint of pool.endpoints) {
      yield { pool: pool.name, endpoint: endpoint.address, healthy: endpoint.available(now) };
    }
  }
}

function delayMs(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
