import { randomUUID } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { Code, UnavailableError } from '@verdict/errors';
import type { CallContext, CallOptions } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';
import {
  defaultVariantFor,
  routeRequest,
  shouldShadow,
  type RouteDecision,
  type RoutedVariant,
} from '@verdict/routing';
import type { ServedRequest, ServingAudit } from '../audit/serving-audit';
import type { EventReporter } from '../events/event-reporter';
import type { RouterMetrics } from '../observability/router-metrics';
import { codeOf, forwardUnary, type ForwardedMethod } from '../pools/forward';
import type { ShadowRunner } from '../shadow/shadow-runner';
import type { RouterState, RouterStateHolder } from '../table/router-state';
import { lengthDelimited } from '../wire/protobuf-wire';
import {
  readInferRequestHead,
  readResponseVersion,
  scanInferRequestHead,
  type InferRequestHead,
} from '../wire/infer-request';
import { WireRequestAttributes } from './request-attributes';
import { resolvePool } from './resolve-pool';
import { versionedRequest } from './versioned-request';

/** Trailer names on routed answers (shared decision; docs/routing.md). */
export const TRAILER_EXPERIMENT = 'x-verdict-experiment';
export const TRAILER_VARIANT = 'x-verdict-variant';
export const TRAILER_TABLE_VERSION = 'x-verdict-table-version';

export interface InferenceRouterOptions {
  holder: RouterStateHolder;
  metrics: RouterMetrics;
  events: EventReporter;
  shadow: ShadowRunner;
  /** Absent: no audit records (tests of routing alone). */
  audit?: ServingAudit;
  /** @default 'x-verdict-unit' */
  unitHeader?: string;
  /** @default 'x-verdict-residency' */
  residencyHeader?: string;
  /** Deadline of a forwarded call whose client sent none; 0 for none. @default 30000 */
  defaultTimeoutMs?: number;
  /** Requests of one ModelStreamInfer stream forwarded at once; answers keep request order. @default 64 */
  maxStreamInFlight?: number;
}

/** What a request is forwarded with, whichever variant it goes to. */
interface ForwardTarget {
  readonly state: RouterState;
  readonly request: Buffer;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly residency: string | undefined;
  readonly callOptions: CallOptions;
}

/** One answered request, whatever happened on the way. */
interface Outcome {
  response?: Buffer;
  error?: unknown;
}

/**
 * GRPCInferenceService in raw-bytes mode: routes ModelInfer and each ModelStreamInfer request by
 * the routing table in force, forwards the bytes unchanged but for an appended model_version,
 * and reports every request (metrics, exposure events, audit, shadow copies) off the answer's
 * path.
 */
export class InferenceRouter {
  private readonly unitHeader: string;
  private readonly residencyHeader: string;
  private readonly defaultTimeoutMs: number;
  private readonly maxStreamInFlight: number;
  private readonly requestIdPrefix = `router-${randomUUID()}-`;
  private requestSequence = 0;

  constructor(private readonly options: InferenceRouterOptions) {
    this.unitHeader = options.unitHeader ?? 'x-verdict-unit';
    this.residencyHeader = options.residencyHeader ?? 'x-verdict-residency';
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? 30_000;
    this.maxStreamInFlight = options.maxStreamInFlight ?? 64;
  }

  /** Ready: a table is in force and at least one of its pools has a healthy endpoint. */
  ready(): boolean {
    const state = this.options.holder.current;
    if (state === undefined) return false;
    const now = Date.now();
    for (const pool of state.pools.values()) if (pool.healthy(now)) return true;
    return false;
  }

  /**
   * Routes and forwards one ModelInferRequest; never rejects, the outcome carries the error.
   * `cancelUpstream` passes the call's abort signal on (unary calls); the requests of a stream
   * share one signal and rely on their deadline instead, so listeners do not pile up on it.
   */
  async infer(request: Buffer, context: CallContext, cancelUpstream = true): Promise<Outcome> {
    const started = performance.now();
    const arrivedMs = Date.now();
    let head: InferRequestHead | undefined;
    let state: RouterState;
    let decision: RouteDecision;
    let requestId: string;
    try {
      head = readInferRequestHead(request);
      const current = this.options.holder.current;
      if (current === undefined) throw new UnavailableError('the router has no routing table yet');
      state = current;
      requestId = head.id !== '' ? head.id : this.nextRequestId();
      decision = routeRequest(
        state.table,
        head.modelName,
        new WireRequestAttributes(context.requestHeaders, request, head.hasParameters, requestId),
        { unitHeader: this.unitHeader },
      );
    } catch (error) {
      // Refused before routing (bad bytes, no table, unknown model): audited, not measured, so
      // that names a client makes up never become metric labels.
      this.audit(context, request, started, arrivedMs, {
        model: head?.modelName ?? '',
        requestId: head?.id ?? '',
        statusCode: codeOf(error),
      });
      return { error };
    }
    const { modelName, modelVersion } = head;
    const residency = context.requestHeaders.get(this.residencyHeader);
    const experiment = decision.experiment;
    const experimentId = experiment === undefined ? '' : experiment.id;
    context.setTrailer(TRAILER_EXPERIMENT, experimentId);
    context.setTrailer(TRAILER_VARIANT, decision.variant.name);
    context.setTrailer(TRAILER_TABLE_VERSION, state.versionText);
    const callOptions: CallOptions = cancelUpstream
      ? { timeoutMs: this.timeoutOf(context), signal: context.signal }
      : { timeoutMs: this.timeoutOf(context) };
    const target = { state, request, modelName, modelVersion, residency, callOptions };
    let variant = decision.variant;
    let outcome = await this.forward(target, variant);
    let code = outcome.error === undefined ? 0 : codeOf(outcome.error);
    let seconds = (performance.now() - started) / 1000;
    const metrics = this.options.metrics;
    metrics.request(modelName, experimentId, variant.name, code, seconds);
    if (experiment !== undefined) {
      // The exposure is the assigned variant's, failure included: a treatment that fails over
      // to control is counted as a failure of the treatment.
      this.options.events.exposure({
        experimentId,
        variant: variant.name,
        unitId: decision.unitId,
        requestId,
        model: modelName,
        modelVersion: modelVersionOf(variant.version, outcome.response),
        timeMs: arrivedMs,
        latencyUs: seconds * 1e6,
        statusCode: code,
        tableVersion: decision.tableVersion,
      });
    }
    if (
      outcome.error !== undefined &&
      experiment?.failoverToControl === true &&
      !variant.control &&
      this.mayFailOver(outcome.error, context)
    ) {
      metrics.failover(modelName, experimentId, variant.name, decision.control.name);
      variant = decision.control;
      context.setTrailer(TRAILER_VARIANT, variant.name);
      outcome = await this.forward(target, variant);
      code = outcome.error === undefined ? 0 : codeOf(outcome.error);
      seconds = (performance.now() - started) / 1000;
      metrics.request(modelName, experimentId, variant.name, code, seconds);
    } else if (experiment?.shadow !== undefined && outcome.response !== undefined) {
      const shadow = experiment.shadow;
      if (shouldShadow(shadow.sampleRate, requestId)) {
        this.options.shadow.schedule({
          state,
          experimentId,
          primaryVariant: variant.name,
          shadow: shadow.variant,
          request,
          requestId,
          primaryResponse: outcome.response,
          primaryLatencyUs: seconds * 1e6,
          timeMs: arrivedMs,
          residency,
        });
      }
    }
    this.audit(context, request, started, arrivedMs, {
      model: modelName,
      version: modelVersionOf(variant.version, outcome.response),
      experiment: experimentId,
      variant: variant.name,
      statusCode: code,
      unitId: decision.unitId,
      requestId,
    });
    return outcome;
  }

  /** One `inference.request` audit record for the request (built off the request path). */
  private audit(
    context: CallContext,
    request: Buffer,
    started: number,
    arrivedMs: number,
    fields: Partial<Pick<ServedRequest, 'version' | 'experiment' | 'variant' | 'unitId'>> &
      Pick<ServedRequest, 'model' | 'requestId' | 'statusCode'>,
  ): void {
    this.options.audit?.record({
      actor: context.principal.id,
      version: '',
      experiment: '',
      variant: '',
      unitId: '',
      ...fields,
      latencyUs: (performance.now() - started) * 1000,
      request,
      traceparent: context.requestHeaders.get('traceparent'),
      timeMs: arrivedMs,
    });
  }

  /** Sends the request to `variant`'s pool (by residency) as that variant's version. */
  private async forward(target: ForwardTarget, variant: RoutedVariant): Promise<Outcome> {
    try {
      const pool = resolvePool(
        target.state,
        variant.pool.name,
        target.modelName,
        target.residency,
        this.residencyHeader,
      );
      const bytes = versionedRequest(target.request, variant, target.modelVersion);
      return { response: await forwardUnary(pool, 'modelInfer', bytes, target.callOptions) };
    } catch (error) {
      return { error };
    }
  }

  private nextRequestId(): string {
    return this.requestIdPrefix + (this.requestSequence++).toString(36);
  }

  /** A treatment failure falls over unless the caller gave up or the deadline passed. */
  private mayFailOver(error: unknown, context: CallContext): boolean {
    const code = codeOf(error);
    return !context.signal.aborted && code !== Code.CANCELLED && code !== Code.DEADLINE_EXCEEDED;
  }

  private timeoutOf(context: CallContext): number {
    const deadline = context.deadline;
    if (deadline === undefined) return this.defaultTimeoutMs;
    return Math.max(1, deadline.getTime() - Date.now());
  }

  /**
   * ModelReady, ModelMetadata, ModelConfig: to the variant a request without a unit gets
   * outside experiments. A version the caller names is kept; otherwise the variant's is set.
   */
  async forwardModelCall(
    method: ForwardedMethod,
    request: Buffer,
    context: CallContext,
  ): Promise<Buffer> {
    const head = readInferRequestHead(request, 'name');
    const state = this.options.holder.current;
    if (state === undefined) throw new UnavailableError('the router has no routing table yet');
    const variant = defaultVariantFor(state.table, head.modelName);
    context.setTrailer(TRAILER_EXPERIMENT, '');
    context.setTrailer(TRAILER_VARIANT, variant.name);
    context.setTrailer(TRAILER_TABLE_VERSION, state.versionText);
    const pool = resolvePool(
      state,
      variant.pool.name,
      head.modelName,
      context.requestHeaders.get(this.residencyHeader),
      this.residencyHeader,
    );
    const bytes = head.modelVersion === '' ? versionedRequest(request, variant, '') : request;
    return forwardUnary(pool, method, bytes, {
      timeoutMs: this.timeoutOf(context),
      signal: context.signal,
    });
  }

  /**
   * ModelStreamInfer: each request is routed and forwarded on its own (up to
   * `maxStreamInFlight` at once); answers are written in request order, a failed request
   * becomes an error message on the stream, which stays open. The trailers name the last
   * request's experiment and variant.
   */
  async *streamInfer(requests: AsyncIterable<Buffer>, context: CallContext): AsyncIterable<Buffer> {
    const queue: Array<Promise<Buffer>> = [];
    let finished = false;
    let readError: unknown;
    let wakeWriter: (() => void) | undefined;
    let wakeReader: (() => void) | undefined;
    const reader = (async () => {
      try {
        for await (const request of requests) {
          while (queue.length >= this.maxStreamInFlight) {
            await new Promise<void>((resolve) => (wakeReader = resolve));
          }
          queue.push(
            this.infer(request, context, false).then((outcome) => streamMessage(outcome, request)),
          );
          wakeWriter?.();
        }
      } catch (error) {
        readError = error;
      } finally {
        finished = true;
        wakeWriter?.();
      }
    })();
    for (;;) {
      if (queue.length > 0) {
        const message = await queue[0];
        queue.shift();
        wakeReader?.();
        yield message;
        continue;
      }
      if (finished) break;
      await new Promise<void>((resolve) => (wakeWriter = resolve));
      wakeWriter = undefined;
    }
    await reader;
    if (readError !== undefined) throw readError;
  }
}

/** The version that answered: the variant's, else what the answer says. */
function modelVersionOf(version: bigint | undefined, response: Buffer | undefined): string {
  if (version !== undefined) return String(version);
  return response === undefined ? '' : readResponseVersion(response);
}

/** ModelStreamInferResponse for one outcome: the answer bytes wrapped as field 2, or an error. */
function streamMessage(outcome: Outcome, request: Buffer): Buffer {
  if (outcome.response !== undefined) return lengthDelimited(2, outcome.response);
  let id = '';
  try {
    id = scanInferRequestHead(request).id;
  } catch {
    // The request did not parse; the error message says why.
  }
  const error = outcome.error as { message?: string; details?: string };
  return Buffer.from(
    toBinary(
      inference.ModelStreamInferResponseSchema,
      create(inference.ModelStreamInferResponseSchema, {
        errorMessage: `${Code[codeOf(outcome.error)] ?? codeOf(outcome.error)}: ${error?.details ?? error?.message ?? String(outcome.error)}`,
        inferResponse: { id },
      }),
    ),
  );
}
