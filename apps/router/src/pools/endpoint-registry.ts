import { Endpoint, type EndpointOptions } from './endpoint';

/** Endpoint settings shared by every address. */
export type SharedEndpointOptions = Omit<EndpointOptions, 'address'>;

/**
 * One Endpoint per address, shared by every pool and table version that names it, so a table
 * switch keeps connections, health and in-flight counts. An address no table uses any more is
 * closed once its calls have finished, or after `drainMs` at the latest.
 */
export class EndpointRegistry {
  private readonly endpoints = new Map<string, { endpoint: Endpoint; refs: number }>();
  private readonly draining = new Map<ReturnType<typeof setInterval>, Endpoint>();

  constructor(
    private readonly options: SharedEndpointOptions,
    private readonly drainMs: number,
  ) {}

  /** The endpoint for `address`, created (and its health watched) on first use. */
  acquire(address: string): Endpoint {
    let entry = this.endpoints.get(address);
    if (entry === undefined) {
      entry = { endpoint: new Endpoint({ ...this.options, address }), refs: 0 };
      this.endpoints.set(address, entry);
    }
    entry.refs++;
    return entry.endpoint;
  }

  /** Gives back one `acquire`; the last release drains and closes the endpoint. */
  release(address: string): void {
    const entry = this.endpoints.get(address);
    if (entry === undefined || --entry.refs > 0) return;
    this.endpoints.delete(address);
    const deadline = Date.now() + this.drainMs;
    const endpoint = entry.endpoint;
    const timer = setInterval(() => {
      if (endpoint.outstanding > 0 && Date.now() < deadline) return;
      clearInterval(timer);
      this.draining.delete(timer);
      endpoint.close();
    }, 100);
    timer.unref();
    this.draining.set(timer, endpoint);
  }

  /** Every endpoint currently named by a table. */
  all(): Endpoint[] {
    return [...this.endpoints.values()].map((entry) => entry.endpoint);
  }

  /** Closes everything at once (shutdown). */
  close(): void {
    for (const [timer, endpoint] of this.draining) {
      clearInterval(timer);
      endpoint.close();
    }
    this.draining.clear();
    for (const { endpoint } of this.endpoints.values()) endpoint.close();
    this.endpoints.clear();
  }
}
