/**
 * How a command-line client finds the dev stack from anywhere: the state folder, the local
 * user's certificate and each service's address (for `npm run demo` and other tools).
 */
export { cliClient, type CliClientOptions } from './cli-client';
export { readCliEnvironment, type CliEnvironment } from './cli-environment';
export { clientPkiFiles, PkiNotFoundError } from './client-pki';
export { addressVariable, type ServiceName } from './service-addresses';
export { describeRpcFailure } from '../commands/model-client';
