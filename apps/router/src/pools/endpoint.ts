import { setTimeout as delay } from 'node:timers/promises';
import {
  createClient,
  createRawClient,
  type ClientTransportOptions,
  type RawClient,
} from '@verdict/grpc-kit';
import { health, inference } from '@verdict/proto';

type InferenceMethods = (typeof inference.GRPCInferenceService)['method'];

/** What an endpoint needs to know to connect and to judge its own health. */
export interface EndpointOptions {
  /** `host:port` of a model server. */
  address: string;
  /** mTLS with the router's own certificate, as every service's client. */
  transport: ClientTransportOptions;
  /** First ejection after an UNAVAILABLE failure; doubles per consecutive ejection. @default 1000 */
  ejectionMs?: number;
  /** @default 30000 */
  maxEjectionMs?: number;
  /** Wait before re-opening a lost health Watch. @default 250 */
  healthRetryMs?: number;
  /** grpc.health.v1 service name watched; '' is the whole server. @default '' */
  healthService?: string;
  /** Called when the endpoint's availability changes (for logs). */
  onChange?: (endpoint: Endpoint) => void;
}

/**
 * One model server: a raw-bytes client for forwarding, a grpc.health.v1 Watch that says whether
 * it serves, the count of calls in flight (for least-outstanding balancing), and ejection after
 * failures. Shared by every pool and table version that names its address.
 */
export class Endpoint {
  readonly address: string;
  readonly client: RawClient<InferenceMethods>;
  /** Calls in flight through this endpoint. */
  outstanding = 0;
  /** Last status of the health Watch: true only while it says SERVING. */
  serving = false;
  /** `Date.now()` before which the endpoint stays ejected. */
  ejectedUntil = 0;
  private ejections = 0;
  private readonly stopWatch = new AbortController();
  private readonly healthClient;
  private readonly options: Required<Omit<EndpointOptions, 'onChange'>> &
    Pick<EndpointOptions, 'onChange'>;

  constructor(options: EndpointOptions) {
    this.options = {
      ejectionMs: 1000,
      maxEjectionMs: 30_000,
      healthRetryMs: 250,
      healthService: '',
      ...options,
    };
    this.address = options.address;
    this.client = createRawClient(inference.GRPCInferenceService, {
      address: options.address,
      transport: options.transport,
      defaultTimeoutMs: 0,
    });
    this.healthClient = createClient(health.Health, {
      address: options.address,
      transport: options.transport,
      defaultTimeoutMs: 0,
    });
    void this.watchHealth();
  }

  /** Serving and not ejected: eligible for new calls. */
  available(now: number): boolean {
    return this.serving && this.ejectedUntil <= now;
  }

  /**
   * Leaves the endpoint out of balancing for the ejection time, doubling on each consecutive
   * ejection; a SERVING report after the time is up ends the streak.
   */
  eject(now = Date.now()): void {
    if (this.ejectedUntil > now) return;
    const ms = Math.min(
      this.options.ejectionMs * 2 ** Math.min(this.ejections, 16),
      this.options.maxEjectionMs,
    );
    this.ejections++;
    this.ejectedUntil = now + ms;
    this.options.onChange?.(this);
  }

  /** A call through this endpoint succeeded: it is no longer on an ejection streak. */
  succeeded(): void {
    if (this.ejections !== 0 && this.ejectedUntil <= Date.now()) this.ejections = 0;
  }

  /** Stops the health Watch and closes both channels; calls still in flight are cancelled. */
  close(): void {
    this.stopWatch.abort();
    this.client.close();
    this.healthClient.close();
  }

  private setServing(serving: boolean): void {
    if (this.serving === serving) return;
    this.serving = serving;
    this.options.onChange?.(this);
  }

  private async watchHealth(): Promise<void> {
    const signal = this.stopWatch.signal;
    const SERVING = health.HealthCheckResponse_ServingStatus.SERVING;
    while (!signal.aborted) {
      // One controller per attempt: the kit leaves its abort listener on the signal it is given.
      const attempt = new AbortController();
      const cancel = () => attempt.abort();
      signal.addEventListener('abort', cancel, { once: true });
      try {
        for await (const update of this.healthClient.watch(
          { service: this.options.healthService },
          { signal: attempt.signal },
        )) {
          this.setServing(update.status === SERVING);
        }
      } catch {
        // The server is down or restarting; the retry below finds out when it is back.
      } finally {
        signal.removeEventListener('abort', cancel);
      }
      this.setServing(false);
      if (signal.aborted) return;
      await delay(this.options.healthRetryMs, undefined, { signal }).catch(() => undefined);
    }
  }
}
