import { join, resolve } from 'node:path';
import { PkiNotFoundError } from './client-pki';
import { addressVariable, defaultAddress, type ServiceName } from './service-addresses';
import { findVerdictHome, homeForWriting, STATE_FOLDER, type HomeSearch } from './verdict-home';

/** Everything a command takes from its surroundings rather than from its flags. */
export interface CliEnvironment {
  /** The state folder found (`VERDICT_HOME`, or a `.verdict` above the working directory or the CLI). */
  readonly home: HomeSearch;
  /** A service's gRPC (or ops) address: `VERDICT_<SERVICE>_ADDRESS`, else the dev stack's default. */
  address(service: ServiceName, port?: 'grpc' | 'ops'): string;
  /**
   * The folder with the local user's client certificate: `flag` (`--pki`), else `VERDICT_PKI_DIR`,
   * else `<home>/pki`; throws {@link PkiNotFoundError} naming every place it looked.
   */
  pkiDir(flag?: string): string;
  /** A path inside the state folder, or undefined when there is none. */
  stateFile(...parts: string[]): string | undefined;
  /** Where `verdict dev` and `verdict pki init` write by default (see {@link homeForWriting}). */
  readonly writableHome: string;
}

/** Where an environment is read from; the defaults are the process's own. */
export interface CliEnvironmentSource {
  /** @default process.env */
  env?: NodeJS.ProcessEnv;
  /** @default process.cwd() */
  cwd?: string;
  /** The CLI's own folder. @default the folder of this module */
  cliDir?: string;
}

/** Reads the CLI's environment once, at the edge (the only place `process.env` is read). */
export function readCliEnvironment(source: CliEnvironmentSource = {}): CliEnvironment {
  const env = source.env ?? process.env;
  const cwd = source.cwd ?? process.cwd();
  const search = { verdictHome: env.VERDICT_HOME, cwd, cliDir: source.cliDir ?? __dirname };
  const home = findVerdictHome(search);
  const nonEmpty = (value: string | undefined) =>
    value === undefined || value === '' ? undefined : value;
  return {
    home,
    address: (service, port = 'grpc') =>
      nonEmpty(env[addressVariable(service, port)]) ?? defaultAddress(service, port),
    pkiDir(flag) {
      if (flag !== undefined) return resolve(cwd, flag);
      const fromEnv = nonEmpty(env.VERDICT_PKI_DIR);
      if (fromEnv !== undefined) return resolve(cwd, fromEnv);
      if (home.found) return join(home.home, 'pki');
      throw new PkiNotFoundError(
        `no client certificate found: no --pki, VERDICT_PKI_DIR or VERDICT_HOME, and no ${STATE_FOLDER} folder in ${cwd} ` +
          `or above it, nor above the CLI; run \`npm start\` (or \`verdict pki init\`) in the repository, ` +
          `or set VERDICT_HOME to its ${STATE_FOLDER} folder`,
      );
    },
    writableHome: homeForWriting(home, search),
    stateFile: (...parts) => (home.found ? join(home.home, ...parts) : undefined),
  };
}
