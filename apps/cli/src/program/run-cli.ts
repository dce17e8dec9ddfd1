import { CommanderError, type Command } from 'commander';
import { InvalidArgumentError } from '@verdict/errors';
import type { CliEnvironment } from '../environment/cli-environment';
import { describeRpcFailure } from '../commands/model-client';
import { UsageError } from '../commands/usage-error';
import { UsageError as DefinitionUsageError } from '../commands/experiment-definition';
import { buildProgram, PROGRAM_NAME, type Work } from './program';

/** Exit codes (docs/cli.md). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** Where the CLI reads its surroundings and writes its answers. */
export interface CliIo {
  environment: CliEnvironment;
  out: NodeJS.WritableStream;
  err: NodeJS.WritableStream;
  /** @default the version in package.json */
  version?: string;
}

const isUsage = (error: unknown) =>
  error instanceof UsageError ||
  error instanceof DefinitionUsageError ||
  error instanceof InvalidArgumentError;

/** `verdict experiment list` for the command that was parsed last. */
function commandPath(command: Command | undefined): string {
  const names: string[] = [];
  for (
    let current = command;
    current !== undefined && current !== null;
    current = current.parent ?? undefined
  ) {
    names.unshift(current.name());
  }
  return names.length > 0 ? names.join(' ') : PROGRAM_NAME;
}

/**
 * Parses `args` (without node and the script), runs the command chosen and returns the exit
 * code. Every failure is one line on stderr naming the command: commander's usage errors (with
 * its suggestion), a missing PKI, a gRPC status with what to try, or any other error's message.
 */
export async function runCli(args: readonly string[], io: CliIo): Promise<number> {
  let work: Work | undefined;
  let current: Command | undefined;
  const program = buildProgram(io.version ?? cliVersion(), {
    environment: io.environment,
    choose: (chosen) => (work = chosen),
  });
  const usageErrors: string[] = [];
  const configure = (command: Command) => {
    command.configureOutput({
      writeOut: (text) => io.out.write(text),
      writeErr: (text) => io.err.write(text),
      outputError: (text) =>
        usageErrors.push(
          text
            .replace(/^error: /, '')
            .replace(/\s*\n\s*/g, ' ')
            .trim(),
        ),
    });
    command.hook('preSubcommand', (_parent, sub) => {
      current = sub;
    });
    command.hook('preAction', (_parent, action) => {
      current = action;
    });
    command.commands.forEach(configure);
  };
  configure(program);
  try {
    await program.parseAsync([...args], { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')
      return EXIT.ok;
    for (const message of usageErrors) {
      io.err.write(`${commandPath(current)}: ${message} (see ${commandPath(current)} --help)\n`);
    }
    return EXIT.usage;
  }
  if (work === undefined) return EXIT.ok;
  try {
    return (await work()).exitCode;
  } catch (error) {
    const message =
      describeRpcFailure(error) ?? (error instanceof Error ? error.message : String(error));
    io.err.write(`${commandPath(current)}: ${message}\n`);
    if (isUsage(error)) return EXIT.usage;
    return EXIT.failed;
  }
}

/** The CLI package's version. */
export function cliVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('../../package.json') as { version: string }).version;
}
