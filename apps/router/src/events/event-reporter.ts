import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { createClient, type ClientTransportOptions } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import type { Logger } from '@verdict/telemetry';
import { createEventBuffer, type EventBuffer, type EventBufferOptions } from './event-buffer';

/** An exposure as the request path records it; turned into a proto only when sent. */
export interface Exposure {
  experimentId: string;
  variant: string;
  unitId: string;
  requestId: string;
  model: string;
  modelVersion: string;
  /** Arrival, ms since the epoch. */
  timeMs: number;
  latencyUs: number;
  statusCode: number;
  tableVersion: bigint;
}

/** A comparison of a primary answer with its shadow copy's. */
export interface ShadowComparisonRecord {
  experimentId: string;
  primaryVariant: string;
  shadowVariant: string;
  requestId: string;
  timeMs: number;
  outputsAgree: boolean;
  maxAbsDiff: number;
  meanAbsDiff: number;
  primaryLatencyUs: number;
  shadowLatencyUs: number;
  shadowStatusCode: number;
}

/** Where routed requests are reported for the analyzer's statistics. */
export interface EventReporter {
  exposure(event: Exposure): void;
  shadowComparison(event: ShadowComparisonRecord): void;
  flush(timeoutMs?: number): Promise<void>;
  close(timeoutMs?: number): Promise<void>;
}

/** Sends batches to IngestService; the in-process tests and the gRPC client both fit. */
export interface IngestTransport {
  recordExposures(events: experimentsV1.ExposureEvent[]): Promise<unknown>;
  recordShadowComparisons(comparisons: experimentsV1.ShadowComparison[]): Promise<unknown>;
  close?(): void;
}

export type EventReporterOptions = Pick<
  EventBufferOptions<unknown>,
  'maxBuffered' | 'batchSize' | 'lingerMs' | 'retryInitialMs' | 'retryMaxMs'
> & {
  transport: IngestTransport;
  onDropped(kind: 'exposure' | 'shadow_comparison', count: number): void;
  logger: Pick<Logger, 'warn'>;
};

/** The analyzer's IngestService over mTLS. */
export function grpcIngestTransport(
  address: string,
  transport: ClientTransportOptions,
): IngestTransport {
  const client = createClient(experimentsV1.IngestService, { address, transport });
  return {
    recordExposures: (events) => client.recordExposures({ events }),
    recordShadowComparisons: (comparisons) => client.recordShadowComparisons({ comparisons }),
    close: () => client.close(),
  };
}

/** A reporter for a router without an analyzer: events have nowhere to go and are not kept. */
export const DISCARDING_REPORTER: EventReporter = {
  exposure: () => undefined,
  shadowComparison: () => undefined,
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
};

/**
 * Batches exposures and shadow comparisons off the request path into the analyzer's
 * IngestService. Event ids are `<router instance>-<sequence>`: unique without a random draw per
 * event, and stable across re-sends of a failed batch.
 */
export function createEventReporter(options: EventReporterOptions): EventReporter {
  const instance = randomUUID();
  let sequence = 0;
  const nextId = () => `${instance}-${(sequence++).toString(36)}`;
  const warn = (kind: string) => (error: unknown, size: number) =>
    options.logger.warn(
      { kind, batch_size: size, err: (error as Error).message },
      'sending events to the analyzer failed; retrying the same batch',
    );
  // The request path only queues plain records; protos are built by the sender, per batch.
  const exposures: EventBuffer<Identified<Exposure>> = createEventBuffer({
    ...options,
    send: async (batch) =>
      void (await options.transport.recordExposures(batch.map(toExposureEvent))),
    onDropped: (count) => options.onDropped('exposure', count),
    onSendFailed: warn('exposure'),
  });
  const comparisons: EventBuffer<Identified<ShadowComparisonRecord>> = createEventBuffer({
    ...options,
    send: async (batch) =>
      void (await options.transport.recordShadowComparisons(batch.map(toShadowComparison))),
    onDropped: (count) => options.onDropped('shadow_comparison', count),
    onSendFailed: warn('shadow_comparison'),
  });
  return {
    exposure(event) {
      exposures.push({ eventId: nextId(), event });
    },
    shadowComparison(event) {
      comparisons.push({ eventId: nextId(), event });
    },
    async flush(timeoutMs) {
      await Promise.all([exposures.flush(timeoutMs), comparisons.flush(timeoutMs)]);
    },
    async close(timeoutMs) {
      await Promise.all([exposures.close(timeoutMs), comparisons.close(timeoutMs)]);
      options.transport.close?.();
    },
  };
}

interface Identified<T> {
  eventId: string;
  event: T;
}

function toExposureEvent({ eventId, event }: Identified<Exposure>): experimentsV1.ExposureEvent {
  return create(experimentsV1.ExposureEventSchema, {
    eventId,
    experimentId: event.experimentId,
    variant: event.variant,
    unitId: event.unitId,
    requestId: event.requestId,
    model: event.model,
    modelVersion: event.modelVersion,
    time: timestampFromMs(Math.round(event.timeMs)),
    latencyUs: BigInt(Math.round(event.latencyUs)),
    statusCode: event.statusCode,
    routingTableVersion: event.tableVersion,
  });
}

function toShadowComparison({
  eventId,
  event,
}: Identified<ShadowComparisonRecord>): experimentsV1.ShadowComparison {
  return create(experimentsV1.ShadowComparisonSchema, {
    eventId,
    experimentId: event.experimentId,
    primaryVariant: event.primaryVariant,
    shadowVariant: event.shadowVariant,
    requestId: event.requestId,
    time: timestampFromMs(Math.round(event.timeMs)),
    outputsAgree: event.outputsAgree,
    maxAbsDiff: event.maxAbsDiff,
    meanAbsDiff: event.meanAbsDiff,
    primaryLatencyUs: BigInt(Math.round(event.primaryLatencyUs)),
    shadowLatencyUs: BigInt(Math.round(event.shadowLatencyUs)),
    shadowStatusCode: event.shadowStatusCode,
  });
}
