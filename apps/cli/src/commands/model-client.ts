import { Code } from '@verdict/errors';
import type { TypedClient } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import { cliClient } from '../environment/cli-client';

/** The registry's address in the dev stack (README's port table). */
export const DEFAULT_REGISTRY_ADDRESS = '127.0.0.1:50053';

/** Deadline of the short calls (show, list, promote); transfers run without one. */
export const MODEL_CALL_TIMEOUT_MS = 30_000;

/** A typed client of verdict.registry.v1.RegistryService. */
export type RegistryClient = TypedClient<typeof registryV1.RegistryService.method>;

/** Connects to the registry over mutual TLS with the local user's certificate from `verdict pki init`. */
export function connectRegistry(flags: { address?: string; pki?: string }): RegistryClient {
  return cliClient(registryV1.RegistryService, {
    address: flags.address ?? DEFAULT_REGISTRY_ADDRESS,
    pkiDir: flags.pki,
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

/** What to try next, for the failures a user can fix from the command line. */
const HINTS: Partial<Record<number, string>> = {
  [Code.UNAVAILABLE]:
    'is the service running? `npm start` runs the dev stack; --address or VERDICT_<SERVICE>_ADDRESS points elsewhere',
  [Code.DEADLINE_EXCEEDED]: 'the service did not answer in time; is it still starting?',
  [Code.UNAUTHENTICATED]:
    'the service refused the client certificate; use the PKI the stack was started with (--pki, VERDICT_PKI_DIR or VERDICT_HOME)',
  [Code.PERMISSION_DENIED]:
    "the policy does not grant this to your identity (the dev stack's is .verdict/policy.yaml)",
};

/**
 * A failure as one line: the service's own message and the status name, e.g.
 * `model "nope" not found (NOT_FOUND)`, instead of grpc-js's `5 NOT_FOUND: ...`, then what to try
 * for the statuses a user can act on; undefined for anything that is not an RPC failure.
 */
export function describeRpcFailure(error: unknown): string | undefined {
  if (!isRpcFailure(error)) return undefined;
  const name = Code[error.code] ?? `code ${error.code}`;
  // grpc-js stamps connection errors with the time of the attempt: noise on one line.
  const details = error.details.replace(/ \(\d{4}-\d\d-\d\dT[^)]*\)/g, '').trim();
  const hint = HINTS[error.code];
  return `${details || 'no details'} (${name})${hint === undefined ? '' : `: ${hint}`}`;
}

/** The gRPC status code of an RPC failure, or undefined. */
export function rpcCodeOf(error: unknown): number | undefined {
  return isRpcFailure(error) ? error.code : undefined;
}
