import { Option, type Command } from 'commander';
import type { CliEnvironment } from '../environment/cli-environment';
import {
  addressVariable,
  defaultAddress,
  type ServiceName,
} from '../environment/service-addresses';

/** `--metric-type` arrives from commander as `metricType`; the commands take `metric-type`. */
export function kebabKeys(options: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => [
      key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`),
      value,
    ]),
  );
}

/** A repeatable option's collector: `--variant a --variant b` -> ['a', 'b']. */
export const repeatable = (value: string, previous: string[] | undefined): string[] => [
  ...(previous ?? []),
  value,
];

/** `--address` and `--pki` of a command that calls `service`, with where their defaults come from. */
export function connectionOptions(command: Command, service: ServiceName): Command {
  return command
    .addOption(
      new Option(
        '--address <host:port>',
        `the ${service}'s gRPC address (default: $${addressVariable(service)}, else ${defaultAddress(service)})`,
      ),
    )
    .addOption(
      new Option(
        '--pki <dir>',
        "folder with ca.pem, developer.pem and developer.key, or a cert-manager Secret's ca.crt, tls.crt and tls.key (default: $VERDICT_PKI_DIR, else the pki folder of $VERDICT_HOME or of the .verdict folder above the working directory or the CLI)",
      ),
    );
}

/**
 * The flags a command function takes, with `--address` and `--pki` filled in from the
 * environment where the command line left them out.
 */
export function connectionFlags(
  environment: CliEnvironment,
  service: ServiceName,
  options: Record<string, unknown>,
): Record<string, unknown> & { address: string; pki: string } {
  const flags = kebabKeys(options);
  return {
    ...flags,
    address: (flags.address as string | undefined) ?? environment.address(service),
    pki: environment.pkiDir(flags.pki as string | undefined),
  };
}

/**
 * Options the command needs, checked after commander has refused unknown ones, so a mistyped
 * `--modle` is reported as unknown (with the suggestion) rather than `--model` as missing.
 */
export function requireOptions(command: Command, ...names: string[]): Command {
  return command.hook('preAction', (self) => {
    const camel = (name: string) =>
      name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
    const missing = names.filter((name) => self.getOptionValue(camel(name)) === undefined);
    if (missing.length > 0) {
      self.error(`required option ${missing.map((name) => `--${name}`).join(', ')} not given`, {
        code: 'commander.missingMandatoryOptionValue',
        exitCode: 2,
      });
    }
  });
}
