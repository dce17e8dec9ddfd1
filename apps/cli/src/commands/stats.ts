import { compare, srm } from '@verdict/stats';
import type { CommandResult } from './command';

export const STATS_USAGE = `verdict stats compare|srm --json < input.json

Exposes libs/stats for cross-checking against other engines. compare reads
{"type":"mean"|"binomial","control":{"n","sum","sum_squares"} or {"n","successes"},"treatment":{...},
 "relative":bool,"method":"frequentist"|"sequential"|"bayesian","alpha":0.05}
and prints {"estimate","se","ci":[lo,hi],"p_value"} (plus "chance_to_win" and "expected_loss" for bayesian);
srm reads {"counts":[..],"weights":[..]} and prints {"chi2","p_value","mismatch"}.`;

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

/** `verdict stats compare|srm --json`: one JSON document in, one out; bad input exits 2 naming the field. */
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
  const output = kind === 'compare' ? compare(input) : srm(input);
  io.write(`${JSON.stringify(output)}\n`);
  return { exitCode: 0 };
}
