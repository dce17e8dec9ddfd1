import { fromBinary } from '@bufbuild/protobuf';
import { Code } from '@verdict/errors';
import { inference } from '@verdict/proto';
import type { RoutedVariant } from '@verdict/routing';
import type { EventReporter } from '../events/event-reporter';
import type { RouterMetrics } from '../observability/router-metrics';
import { codeOf, forwardUnary } from '../pools/forward';
import type { RouterState } from '../table/router-state';
import { versionedRequest } from '../routing/versioned-request';
import { compareOutputs } from './compare-outputs';

/** A primary request that was answered and is to be copied to the shadow. */
export interface ShadowJob {
  readonly state: RouterState;
  readonly experimentId: string;
  readonly primaryVariant: string;
  readonly shadow: RoutedVariant;
  /** The request as the client sent it. */
  readonly request: Buffer;
  readonly requestId: string;
  /** The primary answer, as forwarded to the client. */
  readonly primaryResponse: Buffer;
  readonly primaryLatencyUs: number;
  readonly timeMs: number;
  /** The region the request must stay in, when it named one. */
  readonly residency: string | undefined;
}

export interface ShadowRunnerOptions {
  /** Copies in flight at once; past it copies are dropped and counted. @default 64 */
  maxConcurrent?: number;
  /** Deadline of a copy. @default 10000 */
  timeoutMs?: number;
  metrics: RouterMetrics;
  events: EventReporter;
}

/**
 * Sends sampled copies of answered requests to a shadow variant and reports how its answers
 * compare. Runs after the primary answer has left (`setImmediate`), never throws, never makes
 * the client wait; past `maxConcurrent` copies in flight, new ones are dropped and counted.
 */
export class ShadowRunner {
  private inFlight = 0;
  private readonly maxConcurrent: number;
  private readonly timeoutMs: number;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: ShadowRunnerOptions) {
    this.maxConcurrent = options.maxConcurrent ?? 64;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Schedules a copy for after the current answer has been sent. */
  schedule(job: ShadowJob): void {
    setImmediate(() => void this.run(job));
  }

  /** Copies in flight now. */
  get pending(): number {
    return this.inFlight;
  }

  /** Resolves when no copy is in flight (shutdown). */
  idle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async run(job: ShadowJob): Promise<void> {
    const { metrics, events } = this.options;
    const pool = job.state.pools.get(job.shadow.pool.name);
    if (pool === undefined) return;
    if (job.residency !== undefined && pool.region !== job.residency) {
      metrics.shadowDropped(job.experimentId, job.shadow.name, 'residency');
      return;
    }
    if (this.inFlight >= this.maxConcurrent) {
      metrics.shadowDropped(job.experimentId, job.shadow.name, 'concurrency');
      return;
    }
    this.inFlight++;
    const started = performance.now();
    let statusCode = 0;
    let shadowResponse: Buffer | undefined;
    try {
      shadowResponse = await forwardUnary(
        pool,
        'modelInfer',
        versionedRequest(job.request, job.shadow),
        { timeoutMs: this.timeoutMs },
      );
    } catch (error) {
      statusCode = codeOf(error);
    }
    const shadowLatencyUs = (performance.now() - started) * 1000;
    let agree = false;
    let maxAbsDiff = 0;
    let meanAbsDiff = 0;
    if (shadowResponse !== undefined) {
      try {
        const comparison = compareOutputs(
          fromBinary(inference.ModelInferResponseSchema, job.primaryResponse),
          fromBinary(inference.ModelInferResponseSchema, shadowResponse),
        );
        ({ agree, maxAbsDiff, meanAbsDiff } = comparison);
      } catch {
        statusCode = Code.INTERNAL;
      }
    }
    this.inFlight--;
    if (statusCode === 0) metrics.shadowCompared(job.experimentId, job.shadow.name, agree);
    else metrics.shadowDropped(job.experimentId, job.shadow.name, 'error');
    events.shadowComparison({
      experimentId: job.experimentId,
      primaryVariant: job.primaryVariant,
      shadowVariant: job.shadow.name,
      requestId: job.requestId,
      timeMs: job.timeMs,
      outputsAgree: agree,
      maxAbsDiff,
      meanAbsDiff,
      primaryLatencyUs: job.primaryLatencyUs,
      shadowLatencyUs,
      shadowStatusCode: statusCode,
    });
    if (this.inFlight === 0) for (const wake of this.idleWaiters.splice(0)) wake();
  }
}
