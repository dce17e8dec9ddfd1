import { join } from 'node:path';
import { Option } from 'commander';
import { datasetCommand, DATASETS } from '../commands/dataset';
import { devCommand } from '../commands/dev';
import { driftCommand } from '../commands/drift';
import { healthCommand } from '../commands/health';
import { inferCommand } from '../commands/infer';
import { pkiInitCommand } from '../commands/pki';
import { routesCommand } from '../commands/routes';
import { STATS_USAGE, statsCommand } from '../commands/stats';
import { UsageError } from '../commands/usage-error';
import { STACK_SERVICES } from '../services';
import type { ServiceName } from '../environment/service-addresses';
import { connectionFlags, connectionOptions, kebabKeys, requireOptions } from './options';
import { group, jsonOption, type Register } from './program';

const SERVICE_NAMES = STACK_SERVICES.map((service) => service.name) as ServiceName[];

/** dev, pki, health, infer, routes, drift, stats, dataset. */
export const registerPlatformCommands: Register = (program, { environment, choose }) => {
  program
    .command('dev')
    .description(
      'set up what is missing (dev PKI, RBAC policy, data folders), start the five services on 127.0.0.1 and stop them on Ctrl-C',
    )
    .option('--dir <dir>', "state folder (default: $VERDICT_HOME, else the repository's .verdict)")
    .option('--ports <list>', 'per-service ports, name=grpcPort:opsPort,...')
    .action((options: { dir?: string; ports?: string }) =>
      choose(() => devCommand({ ...options, dir: options.dir ?? environment.writableHome })),
    );

  group(program, 'pki', 'the development PKI')
    .command('init')
    .description(
      'create a development CA, a certificate per service (URI SAN spiffe://verdict.local/ns/default/sa/<service>, DNS localhost, IP 127.0.0.1) and your client certificate; valid files are kept',
    )
    .option(
      '--dir <dir>',
      "where (default: the pki folder of $VERDICT_HOME, else of the repository's .verdict)",
    )
    .option('--force', 'replace existing files')
    .action((options: { dir?: string; force?: boolean }) =>
      choose(() =>
        pkiInitCommand({ ...options, dir: options.dir ?? join(environment.writableHome, 'pki') }),
      ),
    );

  connectionOptions(
    program
      .command('health')
      .description(
        'grpc.health.v1.Health/Check on each SERVICE (default: all five); exits 0 only when every one is SERVING',
      )
      .argument('[service...]', `any of ${SERVICE_NAMES.join(', ')}`),
    'router',
  )
    .option('--service <name>', 'the health service name to ask about (default: the whole server)')
    .action((services: string[], options: Record<string, unknown>) =>
      choose(async () => {
        const unknown = services.filter((name) => !SERVICE_NAMES.includes(name as ServiceName));
        if (unknown.length > 0) {
          throw new UsageError(
            `SERVICE: expected any of ${SERVICE_NAMES.join(', ')}, got ${unknown.join(', ')}`,
          );
        }
        const targets =
          options.address !== undefined
            ? [undefined]
            : ((services.length > 0 ? services : SERVICE_NAMES) as ServiceName[]);
        let exitCode = 0;
        for (const target of targets) {
          const flags = connectionFlags(environment, target ?? 'router', options);
          const result = await healthCommand({ ...flags, label: target });
          exitCode = Math.max(exitCode, result.exitCode);
        }
        return { exitCode };
      }),
    );

  requireOptions(
    connectionOptions(
      program
        .command('infer')
        .description(
          'inference.GRPCInferenceService/ModelInfer on the router (or a model server with --address); prints the answer as JSON',
        )
        .option('--model <name>', 'model name')
        .option('--version <n>', 'model version (default: what the router routes to)')
        .addOption(
          new Option(
            '--input <json>',
            'OIP JSON {"inputs":[{"name","datatype","shape","data"}]}, or nested arrays of rows for a one-input model',
          ).conflicts('text'),
        )
        .option('--text <message>', 'a raw message, featurized for a spam model')
        .option(
          '--unit <id>',
          'sends x-verdict-unit; the answer then says which experiment variant served it ("routed")',
        ),
      'router',
    ),
    'model',
  ).action((options: Record<string, unknown>) =>
    choose(() => inferCommand(connectionFlags(environment, 'router', options))),
  );

  connectionOptions(
    group(program, 'routes', 'the routing table in force').command('show'),
    'experiment-analyzer',
  )
    .description(
      "the routing table (from the analyzer, or --file) with each variant's configured and observed share",
    )
    .option('--file <table>', 'a static routing table (RoutingTable as proto3 JSON or YAML)')
    .option(
      '--metrics <host:port>',
      "the router's ops address for observed counts (default: $VERDICT_ROUTER_OPS_ADDRESS, else 127.0.0.1:9101)",
    )
    .addOption(jsonOption())
    .action((options: Record<string, unknown>) =>
      choose(() => {
        const flags =
          options.file === undefined
            ? connectionFlags(environment, 'experiment-analyzer', options)
            : kebabKeys(options);
        return routesCommand(['show'], {
          ...flags,
          metrics: (options.metrics as string | undefined) ?? environment.address('router', 'ops'),
        });
      }),
    );

  const drift = group(
    program,
    'drift',
    'reference profiles, drift status and alerts (docs/drift.md)',
  );
  const driftAction = (name: string) => (options: Record<string, unknown>) =>
    choose(() =>
      driftCommand([name], connectionFlags(environment, 'experiment-analyzer', options)),
    );
  requireOptions(
    connectionOptions(drift.command('profile'), 'experiment-analyzer'),
    'model',
    'version',
    'input',
    'data',
  )
    .description("store the reference profile of a model version's input, from a JSON-lines file")
    .option('--model <name>', 'model name')
    .option('--version <n>', 'model version')
    .option('--input <tensor>', 'input tensor name')
    .option('--data <rows.jsonl>', 'one row per line: an array of numbers, or of strings')
    .option('--source <text>', 'where the rows came from (default: the file name)')
    .addOption(jsonOption())
    .action(driftAction('profile'));
  requireOptions(
    connectionOptions(drift.command('status'), 'experiment-analyzer'),
    'model',
    'version',
  )
    .description('the latest windows of live inputs against the profile, per feature')
    .option('--model <name>', 'model name')
    .option('--version <n>', 'model version')
    .addOption(jsonOption())
    .action(driftAction('status'));
  connectionOptions(drift.command('alerts'), 'experiment-analyzer')
    .description('drift alerts, newest first')
    .option('--model <name>', 'only this model')
    .addOption(jsonOption())
    .action(driftAction('alerts'));

  const stats = group(program, 'stats', 'libs/stats for cross-checking other engines').addHelpText(
    'after',
    `\n${STATS_USAGE}`,
  );
  for (const kind of ['compare', 'srm'] as const) {
    stats
      .command(kind)
      .description(
        kind === 'compare'
          ? 'compare two variants: JSON on stdin'
          : 'sample-ratio check: JSON on stdin',
      )
      .option('--json', 'read and print JSON (the only format)')
      .action((options: { json?: boolean }) => choose(() => statsCommand(kind, options)));
  }

  program
    .command('dataset')
    .description(
      'print a built-in labelled dataset as JSON lines, e.g. for `verdict experiment replay`',
    )
    .argument('<name>', `one of ${Object.keys(DATASETS).join(', ')}`)
    .action((name: string) => choose(() => datasetCommand(name)));
};
