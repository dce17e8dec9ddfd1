import { randomUUID } from 'node:crypto';
import { create, type MessageInitShape } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { ResourceExhaustedError } from '@verdict/errors';
import { auditV1 } from '@verdict/proto';
import { Counter, Gauge, type Registry } from '@verdict/telemetry';
import { decodeRecord, encodeRecord } from './record-encoding';
import { openSpoolFile } from './spool-file';

/** A record as callers write it; `id` and `time` are filled in when missing. */
export type AuditRecordInit = MessageInitShape<typeof auditV1.RecordSchema>;

/** Where a sink sends batches; rejects when the batch was not stored. */
export interface AuditTransport {
  append(records: auditV1.Record[]): Promise<void>;
}

/** The part of a logger a sink uses. */
export interface SinkLogger {
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface AuditSinkOptions {
  transport: AuditTransport;
  /** Path of the local spool file; it survives restarts and is replayed first. */
  spoolFile: string;
  /** Largest spool file, in bytes; past it `record` throws ResourceExhaustedError. @default 256 MiB */
  maxSpoolBytes?: number;
  /** Fraction of `maxSpoolBytes` past which every spooling logs a warning. @default 0.8 */
  spoolWarnRatio?: number;
  /** Most records per Append call. @default 500 */
  batchSize?: number;
  /** Longest wait for a batch to fill before a partial one is sent. @default 20 */
  lingerMs?: number;
  /** Records held in memory before they are spooled to disk. @default 10000 */
  maxQueueRecords?: number;
  /** First retry delay after a failed send; doubles up to `retryMaxMs`, with jitter. @default 100 */
  retryInitialMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
  /** @default a logger that writes nothing */
  logger?: SinkLogger;
  /** Registry for the sink's metrics; none are recorded without it. */
  metrics?: Registry;
}

/** Batches audit records off the caller's path and delivers them at least once. */
export interface AuditSink {
  /** Queues a record and returns its id; never waits. Throws ResourceExhaustedError when memory and spool are full. */
  record(record: AuditRecordInit): string;
  /** Resolves once every record queued before the call has been acknowledged by the log. */
  flush(): Promise<void>;
  /** Flushes what it can within `timeoutMs` (the rest stays spooled) and stops. */
  close(timeoutMs?: number): Promise<void>;
  /** Bytes waiting in the spool file. */
  readonly spoolBytes: number;
}

const SILENT: SinkLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

function withDefaults(options: AuditSinkOptions) {
  return {
    maxSpoolBytes: 256 * 1024 * 1024,
    spoolWarnRatio: 0.8,
    batchSize: 500,
    lingerMs: 20,
    maxQueueRecords: 10_000,
    retryInitialMs: 100,
    retryMaxMs: 5000,
    logger: SILENT,
    ...options,
  };
}

/** Opens the spool (replaying what a previous process left there) and starts sending. */
export async function createAuditSink(options: AuditSinkOptions): Promise<AuditSink> {
  const o = withDefaults(options);
  const spool = await openSpoolFile(o.spoolFile, o.maxSpoolBytes);
  const metrics = o.metrics === undefined ? undefined : sinkMetrics(o.metrics);
  const queue: auditV1.Record[] = [];
  let replayOffset = 0;
  let closed = false;
  let retryMs = o.retryInitialMs;
  let wake: (() => void) | undefined;
  const flushWaiters: Array<{ sent: number; resolve: () => void }> = [];
  // Spooled entries left by an earlier process count as queued, so flush waits for them too.
  let queuedTotal = spool.entries;
  let settledTotal = 0;

  const poke = () => {
    wake?.();
    wake = undefined;
  };
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        wake = undefined;
        resolve();
      }, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  const settle = (count: number) => {
    settledTotal += count;
    for (let i = flushWaiters.length - 1; i >= 0; i--) {
      if (flushWaiters[i].sent <= settledTotal) flushWaiters.splice(i, 1)[0].resolve();
    }
  };
  const observe = () => {
    metrics?.spoolBytes.set(spool.bytes);
    metrics?.queued.set(queue.length);
  };

  // Records reach the spool only in order: everything in it is older than everything queued.
  async function spill(): Promise<void> {
    if (queue.length === 0) return;
    const records = queue.slice();
    await spool.append(records.map(encodeRecord));
    queue.splice(0, records.length);
    metrics?.spooled.inc(records.length);
    if (spool.bytes >= spool.maxBytes * o.spoolWarnRatio) {
      o.logger.warn(
        { spool_bytes: spool.bytes, max_spool_bytes: spool.maxBytes },
        'audit spool is nearly full',
      );
    }
  }

  async function send(records: auditV1.Record[]): Promise<boolean> {
    try {
      await o.transport.append(records);
      metrics?.sent.inc(records.length);
      retryMs = o.retryInitialMs;
      return true;
    } catch (error) {
      metrics?.failures.inc();
      o.logger.warn(
        { err: error, records: records.length, retry_ms: retryMs },
        'audit append failed; spooling and retrying',
      );
      return false;
    }
  }

  async function backOff(): Promise<void> {
    const delay = retryMs * (0.5 + Math.random() / 2);
    retryMs = Math.min(retryMs * 2, o.retryMaxMs);
    await sleep(delay);
  }

  async function step(): Promise<void> {
    if (spool.bytes > 0) {
      try {
        await spill();
      } catch (error) {
        o.logger.error(
          { err: error, queued: queue.length },
          'audit spool is full; records stay in memory',
        );
      }
      const page = await spool.read(replayOffset, o.batchSize);
      if (!(await send(page.entries.map(decodeRecord)))) return backOff();
      replayOffset = page.nextOffset;
      settle(page.entries.length);
      if (replayOffset >= spool.bytes) {
        await spool.clear();
        replayOffset = 0;
        o.logger.info({}, 'audit spool replayed');
      }
      return;
    }
    if (queue.length > o.maxQueueRecords) {
      await spill();
      return;
    }
    if (queue.length === 0) {
      if (!closed) await sleep(o.lingerMs * 50);
      return;
    }
    if (queue.length < o.batchSize && !closed && flushWaiters.length === 0) await sleep(o.lingerMs);
    const batch = queue.splice(0, o.batchSize);
    if (await send(batch)) {
      settle(batch.length);
      return;
    }
    // Put the batch back in front, then move everything to disk in order.
    queue.unshift(...batch);
    try {
      await spill();
    } catch (error) {
      o.logger.error(
        { err: error, queued: queue.length },
        'audit spool is full; records stay in memory',
      );
    }
    await backOff();
  }

  let stopped = false;
  const loop = (async () => {
    while (!(closed && (stopped || (queue.length === 0 && spool.bytes === 0)))) {
      await step().catch((error: unknown) =>
        o.logger.error({ err: error }, 'audit sink step failed'),
      );
      observe();
    }
  })();

  return {
    record(init) {
      if (queue.length >= o.maxQueueRecords && spool.bytes >= spool.maxBytes * o.spoolWarnRatio) {
        o.logger.error(
          { queued: queue.length, spool_bytes: spool.bytes },
          'audit sink is full; refusing a record',
        );
        throw new ResourceExhaustedError(
          `audit sink is full: ${queue.length} records queued and ${spool.bytes} bytes spooled`,
        );
      }
      const record = create(auditV1.RecordSchema, init);
      record.id ||= randomUUID();
      record.time ??= timestampNow();
      encodeRecord(record);
      queue.push(record);
      queuedTotal += 1;
      if (queue.length >= o.batchSize) poke();
      return record.id;
    },
    flush() {
      if (settledTotal >= queuedTotal) return Promise.resolve();
      return new Promise<void>((resolve) => {
        flushWaiters.push({ sent: queuedTotal, resolve });
        poke();
      });
    },
    async close(timeoutMs = 5000) {
      closed = true;
      poke();
      const timer = setTimeout(() => {
        stopped = true;
        poke();
      }, timeoutMs);
      await loop;
      clearTimeout(timer);
      await spill().catch((error: unknown) =>
        o.logger.error(
          { err: error, lost: queue.length },
          'audit records could not be spooled at close',
        ),
      );
      await spool.close();
    },
    get spoolBytes() {
      return spool.bytes;
    },
  };
}

function sinkMetrics(registry: Registry) {
  return {
    spoolBytes: new Gauge({
      name: 'verdict_audit_spool_bytes',
      help: 'Bytes waiting in the audit spool file',
      registers: [registry],
    }),
    queued: new Gauge({
      name: 'verdict_audit_queue_records',
      help: 'Audit records queued in memory',
      registers: [registry],
    }),
    sent: new Counter({
      name: 'verdict_audit_sent_records_total',
      help: 'Audit records acknowledged by the log',
      registers: [registry],
    }),
    spooled: new Counter({
      name: 'verdict_audit_spooled_records_total',
      help: 'Audit records written to the spool',
      registers: [registry],
    }),
    failures: new Counter({
      name: 'verdict_audit_send_failures_total',
      help: 'Failed audit Append calls',
      registers: [registry],
    }),
  };
}
