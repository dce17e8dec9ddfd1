import { Command, Option } from 'commander';
import type { CommandResult } from '../commands/command';
import type { CliEnvironment } from '../environment/cli-environment';
import type { ServiceName } from '../environment/service-addresses';
import { connectionFlags, connectionOptions } from './options';
import { registerAuditCommands } from './audit-commands';
import { registerExperimentCommands } from './experiment-commands';
import { registerModelCommands } from './model-commands';
import { registerPlatformCommands } from './platform-commands';

/** Runs one command's work and says how the process should exit. */
export type Work = () => Promise<CommandResult>;

/** What the command tree needs from its caller. */
export interface ProgramContext {
  environment: CliEnvironment;
  /** Called by the action of the command that was chosen; the caller runs it after parsing. */
  choose(work: Work): void;
}

/** Registers the commands of one area on the root command. */
export type Register = (program: Command, context: ProgramContext) => void;

/** The command name and the options of the root command. */
export const PROGRAM_NAME = 'verdict';

/**
 * The whole command tree: per-command options and help, unknown options and commands refused
 * with a suggestion, `--version`. Actions only choose their work; parsing never starts any.
 */
export function buildProgram(version: string, context: ProgramContext): Command {
  const program = new Command(PROGRAM_NAME)
    .description(
      'The Verdict command line: the dev stack, models, experiments, routing, drift and audit',
    )
    .version(version, '-V, --version', 'print the version and exit')
    .addHelpText(
      'after',
      '\nEvery command has --help. Exit codes: 0 done, 1 failed or refused, 2 bad usage or input (docs/cli.md).',
    )
    .showSuggestionAfterError(true)
    .exitOverride();
  for (const register of [
    registerPlatformCommands,
    registerModelCommands,
    registerExperimentCommands,
    registerAuditCommands,
  ]) {
    register(program, context);
  }
  return program;
}

/** A group command (`model`, `experiment` ...) whose subcommands carry the work. */
export function group(parent: Command, name: string, description: string): Command {
  return parent.command(name).description(description);
}

/** `--json` for commands that can print proto JSON for scripts. */
export const jsonOption = () =>
  new Option('--json', 'print proto JSON for scripts instead of tables');

/** A command function that takes the subcommand's name and positionals, and its flags. */
export type Forward = (args: string[], flags: Record<string, unknown>) => Promise<CommandResult>;

/**
 * A subcommand of `parent` that talks to `service`: `--address`, `--pki` and `--json`, and an
 * action that hands `[name, ...positionals]` and the flags (with the environment's defaults) to `forward`.
 */
export function forwardingSubcommand(
  parent: Command,
  { environment, choose }: ProgramContext,
  service: ServiceName,
  forward: Forward,
  name: string,
  description: string,
): Command {
  return connectionOptions(parent.command(name), service)
    .description(description)
    .addOption(jsonOption())
    .action((...args: unknown[]) => {
      const command = args.at(-1) as Command;
      choose(() =>
        forward([name, ...command.args], connectionFlags(environment, service, command.opts())),
      );
    });
}
