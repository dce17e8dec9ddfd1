import { InvalidArgumentError } from '@verdict/errors';
import { compare, srm } from '@verdict/stats';
import type { CommandResult } from './command';
import { UsageError } from './usage-error';

export const STATS_USAGE = `verdict stats compare|srm --json < input.json

Exposes libs/stats for cross-checking against other engines. compare reads
{"type":"mean"|"binomial"|"ratio","control":{"n","sum","sum_squares"} or {"n","successes"}
 or {"n","sum_y","sum_y_squares","sum_x","sum_x_squares","sum_xy"} (per-unit numerator y and
 denominator x),"treatment":{...},"relative":bool,"method":"frequentist"|"sequential"|"bayesian",
 "alpha":0.05,"mixing_effect_size":0.1}
and prints {"status":"ok","estimate","se","ci":[lo,hi],"p_value"} (plus "chance_to_win" and
"expected_loss" for bayesian), or {"status":"insufficient data","field","reason"} and exits 2
when the data cannot support the comparison. Relative effects are (t - c) / |c|.
srm reads {"counts":[..],"weights":[..]} and prints {"chi2","p_value","mismatch"}.
Invalid input exits 2 with a message naming the field.`;

/** Where a stats command reads its input and writes its answer (stdin/stdout in the CLI). */
export interface StatsIo {
  readInput(): Promise<string>;
  write(text: string): void;
}

const processIo: StatsIo = {
  async readInput() {
    const chunks: Buffer[] = [];
    for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  },
  write: (text) => process.stdout.write(text),
};

/**
 * `verdict stats compare|srm --json`: one JSON document in, one out. Bad input is a
 * {@link UsageError} naming the field (exit 2); insufficient data prints its reason and exits 2.
 */
export async function statsCommand(
  kind: 'compare' | 'srm',
  flags: { json?: boolean },
  io: StatsIo = processIo,
): Promise<CommandResult> {
  if (flags.json !== true) {
    io.write(`${STATS_USAGE}\n`);
    return { exitCode: 2 };
  }
  let input: unknown;
  try {
    input = JSON.parse(await io.readInput());
  } catch (error) {
    throw new Error(
      `stats ${kind}: stdin: expected one JSON document, got invalid JSON (${(error as Error).message})`,
    );
  }
  let output: object;
  try {
    output = kind === 'compare' ? compare(input) : srm(input);
  } catch (error) {
    if (error instanceof InvalidArgumentError) throw new UsageError(error.message);
    throw error;
  }
  io.write(`${JSON.stringify(output)}\n`);
  const refused = (output as { status?: string }).status === 'insufficient data';
  return { exitCode: refused ? 2 : 0 };
}
