import { readFile } from 'node:fs/promises';
import { experimentsV1 } from '@verdict/proto';
import { connectRouting } from './analyzer-client';
import type { CommandResult } from './command';
import { messageFromText } from './proto-document';
import { UsageError } from './usage-error';
import { experimentJson, kindOf, percent } from './experiment-format';
import { describeRpcFailure } from './model-client';
import { formatTable, formatTime } from './model-format';
import type { ModelIo } from './model';
import { metricsUrl, readObservedCounts, type ObservedCount } from './router-metrics';

export const ROUTES_USAGE = `verdict routes show [--file TABLE.yaml] [--address 127.0.0.1:50054] [--metrics 127.0.0.1:9101] [--pki .verdict/pki] [--json]

Prints the routing table in force (from the experiment-analyzer's RoutingService, or a static
table file: the RoutingTable message as proto3 JSON or YAML) with, per experiment and variant,
the configured share (its hash buckets) and the split the router observed (its /metrics counter
verdict_router_requests_total). When /metrics cannot be read the table is still printed, with a
warning; exit 1 only when the table cannot be read, 2 on bad usage.`;

/** Flags of `verdict routes show`. */
export interface RoutesFlags {
  file?: string;
  address?: string;
  pki?: string;
  metrics?: string;
  json?: boolean;
  help?: boolean;
}

/** Hash buckets of a unit space (docs/routing.md). */
const BUCKETS = 10_000;

/** One line of the routes view. */
export interface RouteRow {
  model: string;
  /** Empty for the model's default variant. */
  experiment: string;
  kind: string;
  enabled: boolean;
  variant: string;
  target: string;
  pool: string;
  /** Share of the experiment's units the variant's buckets cover; undefined for the default and shadows. */
  configuredShare?: number;
  /** Shadows: the fraction of primary requests copied. */
  shadowSampleRate?: number;
  /** Requests the router counted for it (every status), when /metrics was read. */
  requests?: number;
  /** Its share of the experiment's (or, for the default, the model's) counted requests. */
  observedShare?: number;
}

const bucketCount = (ranges: readonly experimentsV1.BucketRange[]) =>
  ranges.reduce((sum, r) => sum + Math.max(0, r.end - r.start), 0);

function routeTarget(target: experimentsV1.RouteVariant['target']): string {
  if (target.case === 'version') return `v${target.value}`;
  if (target.case === 'alias') return `@${target.value}`;
  return '(any)';
}

/** The rows of a table with the observed counts (when given) joined in. */
export function routeRows(
  table: experimentsV1.RoutingTable,
  observed: readonly ObservedCount[] | undefined,
): RouteRow[] {
  const count = (model: string, experiment: string, variant?: string) =>
    (observed ?? [])
      .filter(
        (o) =>
          o.model === model &&
          o.experiment === experiment &&
          (variant === undefined || o.variant === variant),
      )
      .reduce((sum, o) => sum + o.requests, 0);
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : undefined);
  const rows: RouteRow[] = [];
  for (const route of table.models) {
    const modelTotal =
      count(route.model, '', undefined) +
      route.experiments.reduce((sum, e) => sum + count(route.model, e.experimentId), 0);
    if (route.defaultVariant !== undefined) {
      const requests = count(route.model, '');
      rows.push({
        model: route.model,
        experiment: '',
        kind: '',
        enabled: true,
        variant: route.defaultVariant.name,
        target: routeTarget(route.defaultVariant.target),
        pool: route.defaultVariant.pool,
        ...(observed === undefined ? {} : { requests, observedShare: share(requests, modelTotal) }),
      });
    }
    for (const experiment of route.experiments) {
      const total = count(route.model, experiment.experimentId);
      const base = {
        model: route.model,
        experiment: experiment.experimentId,
        kind: kindOf(experiment.kind),
        enabled: experiment.enabled,
      };
      for (const variant of experiment.variants) {
        const requests = count(route.model, experiment.experimentId, variant.name);
        rows.push({
          ...base,
          variant: variant.name,
          target: routeTarget(variant.target),
          pool: variant.pool,
          configuredShare: bucketCount(variant.buckets) / BUCKETS,
          ...(observed === undefined ? {} : { requests, observedShare: share(requests, total) }),
        });
      }
      const shadow = experiment.shadow?.variant;
      if (shadow !== undefined) {
        rows.push({
          ...base,
          variant: shadow.name,
          target: routeTarget(shadow.target),
          pool: shadow.pool,
          shadowSampleRate: experiment.shadow!.sampleRate,
        });
      }
    }
  }
  return rows;
}

function layerText(experiment: experimentsV1.ExperimentRoute): string {
  const range = experiment.layerRange;
  const units = range === undefined ? 1 : (range.end - range.start) / BUCKETS;
  return (
    `${experiment.experimentId} (${kindOf(experiment.kind)}${experiment.enabled ? '' : ', OFF'}` +
    `${experiment.layer ? `, layer ${experiment.layer}` : ''}, ${percent(units)} of units` +
    `${experiment.targeting.length > 0 ? `, ${experiment.targeting.length} targeting rule(s)` : ''})`
  );
}

/** The human view: header, pools, then one row per default or experiment variant. */
export function routesText(
  table: experimentsV1.RoutingTable,
  rows: readonly RouteRow[],
  observedNote: string,
): string {
  const header = `routing table version ${table.version}, made ${formatTime(table.createTime)}\n\n`;
  const pools = formatTable(
    ['POOL', 'REGION', 'ENDPOINTS'],
    table.pools.map((p) => [p.name, p.region || '-', p.endpoints.join(', ') || '-']),
  );
  const experiments = new Map(
    table.models.flatMap((m) => m.experiments.map((e) => [e.experimentId, e] as const)),
  );
  const routes = formatTable(
    ['MODEL', 'EXPERIMENT', 'VARIANT', 'TARGET', 'POOL', 'CONFIGURED', 'OBSERVED', 'REQUESTS'],
    rows.map((r) => [
      r.model,
      r.experiment === '' ? '(default)' : layerText(experiments.get(r.experiment)!),
      r.variant,
      r.target,
      r.pool,
      r.shadowSampleRate !== undefined
        ? `shadow ${percent(r.shadowSampleRate)}`
        : r.configuredShare === undefined
          ? '-'
          : percent(r.configuredShare),
      r.observedShare === undefined ? '-' : percent(r.observedShare),
      r.requests === undefined ? '-' : String(r.requests),
    ]),
  );
  return `${header}${pools}\n${routes}${observedNote}`;
}

/** Reads a RoutingTable from proto3 JSON or YAML text; `source` names it in errors. */
export function tableFromText(text: string, source: string): experimentsV1.RoutingTable {
  return messageFromText(experimentsV1.RoutingTableSchema, text, source);
}

async function readTable(flags: RoutesFlags): Promise<experimentsV1.RoutingTable> {
  if (flags.file !== undefined)
    return tableFromText(await readFile(flags.file, 'utf8'), flags.file);
  const client = connectRouting(flags);
  try {
    const { table } = await client.getRoutingTable({});
    if (table === undefined) throw new Error('the analyzer answered without a routing table');
    return table;
  } finally {
    client.close();
  }
}

/** `verdict routes show`. */
export async function routesCommand(
  args: readonly string[],
  flags: RoutesFlags,
  io: ModelIo = { out: process.stdout, err: process.stderr },
): Promise<CommandResult> {
  if (flags.help === true || args.length === 0) {
    io.out.write(`${ROUTES_USAGE}\n`);
    return { exitCode: 0 };
  }
  if (args.length !== 1 || args[0] !== 'show') {
    io.err.write(`verdict routes: expected "show", got "${args.join(' ')}"\n\n${ROUTES_USAGE}\n`);
    return { exitCode: 2 };
  }
  let table: experimentsV1.RoutingTable;
  try {
    table = await readTable(flags);
  } catch (error) {
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`verdict routes show: ${message}\n`);
    return { exitCode: error instanceof UsageError ? 2 : 1 };
  }
  const url = metricsUrl(flags.metrics);
  let observed: ObservedCount[] | undefined;
  let failure: string | undefined;
  try {
    observed = await readObservedCounts(url);
  } catch (error) {
    failure = (error as Error).message;
    io.err.write(`verdict routes show: observed split unavailable (${failure})\n`);
  }
  const rows = routeRows(table, observed);
  if (flags.json === true) {
    io.out.write(
      `${JSON.stringify({
        table: experimentJson.table(table),
        metricsUrl: url,
        ...(failure === undefined ? {} : { metricsError: failure }),
        routes: rows,
      })}\n`,
    );
  } else {
    const note =
      failure === undefined ? `(observed: ${url})\n` : `(observed split unavailable: ${failure})\n`;
    io.out.write(routesText(table, rows, note));
  }
  return { exitCode: 0 };
}
