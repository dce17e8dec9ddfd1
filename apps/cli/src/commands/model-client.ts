import { Code } from '@verdict/errors';
import { createClient, type TypedClient } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import { developerTransport } from './developer-transport';

/** The registry's address in the dev stack (README's port table). */
export const DEFAULT_REGISTRY_ADDRESS = '127.0.0.1:50053';

/** Deadline of the short calls (show, list, promote); transfers run without one. */
export const MODEL_CALL_TIMEOUT_MS = 30_000;

/** A typed client of verdict.registry.v1.RegistryService. */
export type RegistryClient = TypedClient<typeof registryV1.RegistryService.method>;

/** Connects to the registry over mutual TLS with the local user's certificate from `verdict pki init`. */
export function connectRegistry(flags: { address?: string; pki?: string }): RegistryClient {
  return createClient(registryV1.RegistryService, {
    address: flags.address ?? DEFAULT_REGISTRY_ADDRESS,
    transport: developerTransport(flags.pki),
    defaultTimeoutMs: MODEL_CALL_TIMEOUT_MS,
  });
}

/** A gRPC failure as grpc-js reports it. */
interface RpcFailure {
  code: number;
  details: string;
}

function isRpcFailure(error: unknown): error is RpcFailure {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as RpcFailure).code === 'number' &&
    typeof (error as RpcFailure).details === 'string'
  );
}

/**
 * The registry's own message and the status name, e.g. `model "nope" not found (NOT_FOUND)`,
 * instead of grpc-js's `5 NOT_FOUND: ...`; undefined for anything that is not an RPC failure.
 */
export function describeRpcFailure(error: unknown): string | undefined {
  if (!isRpcFailure(error)) return undefined;
  const name = Code[error.code] ?? `code ${error.code}`;
  return `${error.details || 'no details'} (${name})`;
}

/** The gRPC status code of an RPC failure, or undefined. */
export function rpcCodeOf(error: unknown): number | undefined {
  return isRpcFailure(error) ? error.code : undefined;
}
