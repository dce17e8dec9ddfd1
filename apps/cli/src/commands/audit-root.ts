import { createInterface } from 'node:readline';
import { createRootAccumulator, leafHash } from '@verdict/audit-client';
import type { CommandResult } from './command';

/** `verdict audit root --stdin-hex`. */
export async function auditRootCommand(
  flags: { 'stdin-hex'?: boolean },
  input: NodeJS.ReadableStream = process.stdin,
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  if (flags['stdin-hex'] !== true) {
    process.stderr.write(`verdict audit root: --stdin-hex is required (the only input format)\n`);
    return { exitCode: 2 };
  }
  const accumulator = createRootAccumulator();
  let line = 0;
  for await (const text of createInterface({ input, crlfDelay: Infinity })) {
    line += 1;
    const hex = text.trim();
    if (!/^([0-9a-fA-F]{2})*$/.test(hex)) {
      process.stderr.write(`verdict audit root: line ${line} is not hex: "${hex.slice(0, 40)}"\n`);
      return { exitCode: 2 };
    }
    accumulator.add(leafHash(Buffer.from(hex, 'hex')));
  }
  output.write(`${accumulator.root().toString('hex')}\n`);
  return { exitCode: 0 };
}
