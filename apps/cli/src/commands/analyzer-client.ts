import type { TypedClient } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import { cliClient } from '../environment/cli-client';

/** The experiment-analyzer's address in the dev stack (README's port table). */
export const DEFAULT_ANALYZER_ADDRESS = '127.0.0.1:50054';

/** Deadline of each call to the analyzer. */
export const ANALYZER_CALL_TIMEOUT_MS = 30_000;

/** A typed client of verdict.experiments.v1.ExperimentService. */
export type ExperimentClient = TypedClient<typeof experimentsV1.ExperimentService.method>;

/** A typed client of verdict.experiments.v1.RoutingService. */
export type RoutingClient = TypedClient<typeof experimentsV1.RoutingService.method>;

/** Where and as whom to call the analyzer. */
export interface AnalyzerFlags {
  /** @default DEFAULT_ANALYZER_ADDRESS */
  address?: string;
  /** Dev PKI folder holding ca.pem and developer.pem/key. @default .verdict/pki */
  pki?: string;
}

/** ExperimentService over mutual TLS with the local user's certificate from `verdict pki init`. */
export function connectExperiments(flags: AnalyzerFlags): ExperimentClient {
  return cliClient(experimentsV1.ExperimentService, {
    address: flags.address ?? DEFAULT_ANALYZER_ADDRESS,
    pkiDir: flags.pki,
    defaultTimeoutMs: ANALYZER_CALL_TIMEOUT_MS,
  });
}

/** RoutingService of the analyzer, as {@link connectExperiments}. */
export function connectRouting(flags: AnalyzerFlags): RoutingClient {
  return cliClient(experimentsV1.RoutingService, {
    address: flags.address ?? DEFAULT_ANALYZER_ADDRESS,
    pkiDir: flags.pki,
    defaultTimeoutMs: ANALYZER_CALL_TIMEOUT_MS,
  });
}
