import type { Endpoint } from './endpoint';

/**
 * A routing table's pool bound to live endpoints. Picks by least outstanding requests among
 * available endpoints; ties rotate so equal endpoints share the load.
 */
export class Pool {
  private next = 0;

  constructor(
    readonly name: string,
    readonly region: string,
    readonly endpoints: readonly Endpoint[],
    /** Called when a call is sent again to another endpoint after UNAVAILABLE. */
    readonly onRetry?: (pool: string) => void,
  ) {}

  /** Whether at least one endpoint is serving and not ejected. */
  healthy(now = Date.now()): boolean {
    for (const endpoint of this.endpoints) if (endpoint.available(now)) return true;
    return false;
  }

  /**
   * The available endpoint with the fewest calls in flight, other than `exclude`. With none
   * available and `panic` set, any endpoint but `exclude` (so a pool whose health is not known
   * yet still gets a try); otherwise undefined.
   */
  pick(exclude: Endpoint | undefined, panic: boolean, now = Date.now()): Endpoint | undefined {
    const endpoints = this.endpoints;
    const count = endpoints.length;
    if (count === 0) return undefined;
    const start = this.next++ % count;
    let best: Endpoint | undefined;
    let fallback: Endpoint | undefined;
    for (let i = 0; i < count; i++) {
      const endpoint = endpoints[(start + i) % count];
      if (endpoint === exclude) continue;
      if (endpoint.available(now)) {
        if (best === undefined || endpoint.outstanding < best.outstanding) best = endpoint;
      } else if (panic && (fallback === undefined || endpoint.outstanding < fallback.outstanding)) {
        fallback = endpoint;
      }
    }
    return best ?? fallback;
  }
}
