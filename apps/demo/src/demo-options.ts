import { parseArgs } from 'node:util';
import type { CliEnvironment } from '@verdict/cli/environment';

/** What `npm run demo` prints for --help. */
export const DEMO_HELP = `npm run demo [-- --router HOST:PORT] [--analyzer HOST:PORT] [--pki DIR] [--users 500] [--concurrency 16] [--outcome-delay-ms 2000]

Sends the held-out SpamAssassin messages through the dev stack's router as simulated users,
reports delayed outcomes, waits for the analyzer's decision, then shifts the inputs until a
drift alert. Run it with \`npm start\` running. Addresses default to VERDICT_ROUTER_ADDRESS and
VERDICT_EXPERIMENT_ANALYZER_ADDRESS, else the dev stack's; the certificate comes from --pki,
VERDICT_PKI_DIR, VERDICT_HOME or the repository's .verdict, as for the verdict CLI.`;

/** The demo's settings, after the command line and the environment. */
export interface DemoOptions {
  router: string;
  analyzer: string;
  pkiDir: string;
  users: number;
  concurrency: number;
  outcomeDelayMs: number;
}

/** Bad demo arguments: the message names the flag and what was expected. */
export class DemoUsageError extends Error {
  override readonly name = 'DemoUsageError';
}

function positiveInteger(flag: string, value: string, allowZero = false): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < (allowZero ? 0 : 1)) {
    throw new DemoUsageError(
      `--${flag}: expected a ${allowZero ? 'non-negative' : 'positive'} integer, got "${value}"`,
    );
  }
  return number;
}

/** Parses the demo's arguments; `help` when --help was asked for. */
export function demoOptions(
  args: readonly string[],
  environment: CliEnvironment,
): DemoOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...args],
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        router: { type: 'string' },
        analyzer: { type: 'string' },
        pki: { type: 'string' },
        users: { type: 'string', default: '500' },
        concurrency: { type: 'string', default: '16' },
        'outcome-delay-ms': { type: 'string', default: '2000' },
      },
    }));
  } catch (error) {
    // Node's message suggests `--` quoting, which is not the problem here: name the flag only.
    const flag = /'(-[^']*)'/.exec((error as Error).message)?.[1];
    throw new DemoUsageError(
      flag === undefined ? (error as Error).message : `unknown option ${flag} (see --help)`,
    );
  }
  if (values.help === true) return 'help';
  return {
    router: values.router ?? environment.address('router'),
    analyzer: values.analyzer ?? environment.address('experiment-analyzer'),
    pkiDir: environment.pkiDir(values.pki),
    users: positiveInteger('users', values.users),
    concurrency: positiveInteger('concurrency', values.concurrency),
    outcomeDelayMs: positiveInteger('outcome-delay-ms', values['outcome-delay-ms'], true),
  };
}
