/**
 * `npm run bench -w @verdict/bench -- <name> [--quick]`: runs one benchmark. Each prints its
 * progress to stderr and, last on stdout, one JSON line (see docs BENCHMARKS.md).
 */
import { runAnalyzerBench } from './analyzer';
import { runAuditBench } from './audit';
import { runModelServerBench } from './model-server';
import { runRegistryBench } from './registry';
import { runRouterBench } from './router';
import { runStatsAaBench } from './stats-aa';

const BENCHES: Record<string, (options: { quick: boolean }) => Promise<object>> = {
  analyzer: runAnalyzerBench,
  audit: runAuditBench,
  'model-server': runModelServerBench,
  registry: runRegistryBench,
  router: runRouterBench,
  'stats-aa': runStatsAaBench,
};

async function main(argv: string[]): Promise<void> {
  const name = argv.find((arg) => !arg.startsWith('-'));
  const bench = name === undefined ? undefined : BENCHES[name];
  if (bench === undefined) {
    process.stderr.write(`usage: bench <${Object.keys(BENCHES).join('|')}> [--quick]\n`);
    process.exit(2);
  }
  const result = await bench({ quick: argv.includes('--quick') });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
