import { compileRoutingTable, type CompiledTable } from '@verdict/routing';
import type { experimentsV1 } from '@verdict/proto';
import type { EndpointRegistry } from '../pools/endpoint-registry';
import { Pool } from '../pools/pool';

/** One routing-table version with its pools bound to live endpoints: what a request captures. */
export interface RouterState {
  readonly table: CompiledTable;
  /** `table.version` as text, for the x-verdict-table-version trailer. */
  readonly versionText: string;
  readonly pools: ReadonlyMap<string, Pool>;
}

/** What became of an offered table. */
export type ApplyOutcome =
  | { readonly applied: true; readonly version: bigint }
  | { readonly applied: false; readonly reason: string };

/**
 * The routing table in force. `current` is swapped as one reference, so a request that reads it
 * once routes, forwards and reports on one table version from start to end.
 */
export class RouterStateHolder {
  current: RouterState | undefined;
  private readonly listeners: Array<(state: RouterState) => void> = [];

  constructor(
    private readonly endpoints: EndpointRegistry,
    /** Called with the pool's name each time a call is retried on another endpoint. */
    private readonly onRetry?: (pool: string) => void,
  ) {}

  /**
   * Compiles and applies `table` when it is newer than the one in force.
   * @throws InvalidArgumentError naming the offending field when the table is invalid (nothing changes)
   */
  apply(table: experimentsV1.RoutingTable): ApplyOutcome {
    const previous = this.current;
    if (previous !== undefined && table.version <= previous.table.version) {
      return {
        applied: false,
        reason: `version ${table.version} is not newer than version ${previous.table.version} in force`,
      };
    }
    const compiled = compileRoutingTable(table);
    const pools = new Map<string, Pool>();
    for (const pool of compiled.pools.values()) {
      pools.set(
        pool.name,
        new Pool(
          pool.name,
          pool.region,
          pool.endpoints.map((address) => this.endpoints.acquire(address)),
          this.onRetry,
        ),
      );
    }
    const state: RouterState = { table: compiled, versionText: String(compiled.version), pools };
    this.current = state;
    if (previous !== undefined) {
      for (const pool of previous.pools.values()) {
        for (const endpoint of pool.endpoints) this.endpoints.release(endpoint.address);
      }
    }
    for (const listener of this.listeners) listener(state);
    return { applied: true, version: compiled.version };
  }

  /** Called after each applied table. */
  onApplied(listener: (state: RouterState) => void): void {
    this.listeners.push(listener);
  }
}
