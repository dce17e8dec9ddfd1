import { readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import type { ServiceContext } from '@verdict/grpc-kit';
import { driftV1, experimentsV1 } from '@verdict/proto';
import { servicePrincipal, serviceSpiffeId, spiffeIdFromCertificate } from '@verdict/security';
import { openStore, serviceStoreConfig, type Store } from '@verdict/store';
import type { Config } from './config';
import { createDashboardSource, startDashboard, type Dashboard } from './dashboard';
import { driftSettings, retrainingTriggers } from './drift/drift-config';
import { createDriftService } from './drift/drift-service';
import { createAccess, type Actor } from './experiments/access';
import { createDecisionLoop, type DecisionLoop } from './experiments/decision-loop';
import { createExperiments } from './experiments/experiments';
import { createRegistryClient, type ModelRegistry } from './experiments/model-registry';
import { createRoutingTables } from './routing/routing-tables';
import { createAnalyzerMetrics } from './service/analyzer-metrics';
import { createExperimentHandlers, createIngestHandlers, createRoutingHandlers } from './handlers';
import { INGEST_DEFAULTS } from './ingest';
import type { EvaluatePolicy, IngestPort, ResultsPort } from './service/stats-contract';

/** Wait before watching the table again after the store failed a watch. */
const WATCH_RETRY_MS = 1000;

/** The statistics half of the analyzer, as its modules export it (see stats-contract.ts). */
export interface StatsModules {
  createIngest(deps: {
    store: Store;
    experiment(id: string): experimentsV1.Experiment | undefined;
    now(): Date;
    logger: ServiceContext<Config>['logger'];
  }): IngestPort;
  createResultsReader(store: Store, options: { now: () => Date }): ResultsPort;
  evaluatePolicy: EvaluatePolicy;
}

/** Options of {@link setupAnalyzer}. */
export interface AnalyzerOptions {
  /** The statistics modules; without them GetResults and IngestService answer UNIMPLEMENTED and no policy runs. */
  stats?: StatsModules;
  /** @default () => new Date() */
  now?: () => Date;
}

/**
 * The analyzer's setup step for runServiceProcess: wires store, routing tables, experiments,
 * statistics, the decision loop, drift and the dashboard, and adds their services.
 */
export async function setupAnalyzer(
  { config, server, logger, metrics, clientTransport, authorizer, audit }: ServiceContext<Config>,
  options: AnalyzerOptions = {},
): Promise<{ stop: () => Promise<void> }> {
  const now = options.now ?? (() => new Date());
  const store = await openStore(serviceStoreConfig(config));
  const registry: ModelRegistry | undefined =
    config.registry.address === undefined
      ? undefined
      : createRegistryClient({
          address: config.registry.address,
          transport: clientTransport,
        });
  // Ingest looks experiments up synchronously per event: it reads this cache, refreshed on
  // every routing-table change (every experiment change makes one).
  const analyzerMetrics = createAnalyzerMetrics(metrics);
  const cache = new Map<string, experimentsV1.Experiment>();
  const experimentsRef: { all?: () => Promise<experimentsV1.Experiment[]> } = {};
  const tables = createRoutingTables({
    store,
    pools: config.pools,
    experiments: () => experimentsRef.all!(),
    now,
    ...(registry === undefined
      ? {}
      : {
          resolveAlias: (model: string, alias: string) => registry.resolveAlias(model, alias),
        }),
  });
  const experiments = createExperiments({
    store,
    access: createAccess(authorizer, audit),
    pools: config.pools,
    tables,
    ...(registry === undefined ? {} : { registry }),
    now,
    onDecision: (decision) => analyzerMetrics.decision(decision),
  });
  experimentsRef.all = async () => {
    const all = await experiments.stored.all();
    cache.clear();
    for (const experiment of all) cache.set(experiment.id, experiment);
    analyzerMetrics.experiments(all);
    return all;
  };
  const table = await tables.rebuild(true);
  analyzerMetrics.tableVersion(table.version);
  logger.info(
    { table_version: String(table.version), experiments: cache.size },
    'routing table ready',
  );
  const refresh = new AbortController();
  void (async () => {
    // Other replicas' changes reach this one's ingest cache through their table versions.
    let seen = table.version;
    while (!refresh.signal.aborted) {
      try {
        for await (const newer of tables.watch(seen, refresh.signal)) {
          seen = newer.version;
          analyzerMetrics.tableVersion(newer.version);
          await experimentsRef.all!();
        }
      } catch (error) {
        logger.warn({ error: String(error) }, 'routing table watch failed; watching again');
        await delay(WATCH_RETRY_MS, undefined, { signal: refresh.signal }).catch(() => undefined);
      }
    }
  })();

  // Follows registry alias moves and repairs a table a failed change left behind.
  const refreshTimer = setInterval(() => {
    tables
      .rebuild(true)
      .catch((error: unknown) =>
        logger.warn({ error: String(error) }, 'routing table refresh failed'),
      );
  }, config.tables.refreshMs);
  refreshTimer.unref();

  const stats = options.stats;
  const ingest = stats?.createIngest({ store, experiment: (id) => cache.get(id), now, logger });
  const results = stats?.createResultsReader(store, { now });
  let loop: DecisionLoop | undefined;
  if (stats !== undefined && results !== undefined) {
    loop = createDecisionLoop({
      experiments,
      results,
      evaluate: stats.evaluatePolicy,
      store,
      actor: analyzerActor(config),
      tickMs: config.decision.tickMs,
      canMoveAlias: registry !== undefined,
      logger,
      now,
    });
    loop.start();
  }
  const drift = createDriftService({
    store,
    audit,
    actor: analyzerActor(config).principal.id,
    metrics,
    logger,
    triggers: retrainingTriggers(config.drift, store),
    settings: driftSettings(config.drift),
  });
  server.add(driftV1.DriftService, drift.impl);
  const dashboard = await openDashboard(config, logger, {
    experiments: experiments.stored,
    results,
    drift,
    psiThreshold: config.drift.psiThreshold,
  });
  server.add(experimentsV1.ExperimentService, createExperimentHandlers(experiments, results));
  server.add(experimentsV1.RoutingService, createRoutingHandlers(tables));
  server.add(experimentsV1.IngestService, createIngestHandlers(ingest));
  return {
    async stop() {
      await dashboard?.stop();
      clearInterval(refreshTimer);
      refresh.abort();
      await loop?.stop();
      await ingest?.close();
      registry?.close();
      await store.close();
    },
  };
}

/**
 * Starts the read-only dashboard unless it is disabled or has nothing to show (no results
 * reader). Under mTLS it serves HTTPS with the service certificate and admits client
 * certificates of the same CA; tokens from the settings are admitted too.
 */
async function openDashboard(
  config: Config,
  logger: ServiceContext<Config>['logger'],
  parts: Omit<Parameters<typeof createDashboardSource>[0], 'results'> & {
    results: ResultsPort | undefined;
  },
): Promise<Dashboard | undefined> {
  if (!config.dashboard.enabled || parts.results === undefined) return undefined;
  const { mode, caFile, certFile, keyFile } = config.tls;
  const dashboard = await startDashboard({
    port: config.dashboard.port,
    host: config.dashboard.host,
    tls: mode === 'mtls' ? { cert: certFile!, key: keyFile!, ca: caFile! } : undefined,
    tokens: config.dashboard.tokens
      .split(',')
      .map((token) => token.trim())
      .filter((token) => token !== ''),
    source: createDashboardSource({ ...parts, results: parts.results }),
    logger,
    timeseries: { minStepMs: INGEST_DEFAULTS.windowMs },
  });
  logger.info({ url: dashboard.url }, 'dashboard ready');
  return dashboard;
}

/** The identity automatic decisions are recorded under: the SPIFFE ID of the analyzer's certificate. */
function analyzerActor(config: Config): Actor {
  const id =
    config.tls.mode === 'mtls' && config.tls.certFile !== undefined
      ? spiffeIdFromCertificate(readFileSync(config.tls.certFile))
      : undefined;
  return {
    principal: servicePrincipal(
      id ?? serviceSpiffeId(config.trustDomain, 'default', 'experiment-analyzer'),
    ),
    traceId: '',
  };
}
