import { createClient, type ClientTransportOptions } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';

/** What the analyzer needs from the model registry: reading and moving aliases. */
export interface ModelRegistry {
  /** The version an alias points at now. @throws NotFoundError and transport errors as gRPC statuses */
  resolveAlias(model: string, alias: string): Promise<bigint>;
  /** Points `alias` of `model` at `version` (a deployment, audited by the registry). */
  moveAlias(model: string, alias: string, version: bigint): Promise<void>;
  close(): void;
}

/** Options of {@link createRegistryClient}. */
export interface RegistryClientOptions {
  /** host:port of the registry. */
  address: string;
  /** The analyzer's own mutual-TLS identity (or mesh). */
  transport: ClientTransportOptions;
  /**
   * Deadline of an alias move.
   * @default 10000
   */
  timeoutMs?: number;
  /**
   * Deadline of an alias lookup (routing-table builds wait for it).
   * @default 2000
   */
  resolveTimeoutMs?: number;
}

/** A {@link ModelRegistry} over the registry's gRPC API. */
export function createRegistryClient(options: RegistryClientOptions): ModelRegistry {
  const client = createClient(registryV1.RegistryService, {
    address: options.address,
    transport: options.transport,
  });
  const timeoutMs = options.timeoutMs ?? 10_000;
  const resolveTimeoutMs = options.resolveTimeoutMs ?? 2000;
  return {
    async resolveAlias(model, alias) {
      const response = await client.getAlias({ model, alias }, { timeoutMs: resolveTimeoutMs });
      return response.alias?.version ?? 0n;
    },
    async moveAlias(model, alias, version) {
      await client.setAlias({ model, alias, version }, { timeoutMs });
    },
    close: () => client.close(),
  };
}
