import { createHash, createHmac, randomBytes } from 'node:crypto';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import type { AuditSink } from '@verdict/audit-client';
import { auditV1 } from '@verdict/proto';
import { forEachInputChunk } from '../wire/infer-request';

/** What the request path keeps of one request for its audit record. */
export interface ServedRequest {
  actor: string;
  model: string;
  version: string;
  experiment: string;
  variant: string;
  latencyUs: number;
  statusCode: number;
  /** The request bytes, hashed later for input_sha256 (never stored). */
  request: Buffer;
  unitId: string;
  requestId: string;
  /** The client's W3C traceparent header, when it sent one. */
  traceparent: string | undefined;
  timeMs: number;
}

export interface ServingAuditOptions {
  sink: AuditSink;
  /** HMAC key that pseudonymises unit ids. @default 32 random bytes per process */
  unitHashKey?: string | Buffer;
  /** Records are handed to the sink in batches this often. @default 10 */
  batchMs?: number;
  /** Called when the sink refuses a record (its memory and spool are full). */
  onError?: (error: unknown) => void;
}

/** One metadata-only audit record per request, built off the request path. */
export interface ServingAudit {
  record(request: ServedRequest): void;
  /** Hands every pending record to the sink. */
  drain(): void;
}

/** Unit-id HMACs remembered; the map starts over when full. */
const UNIT_HASH_CACHE_SIZE = 10_000;

// W3C traceparent: version-traceid-parentid-flags.
const TRACEPARENT = /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Collects served requests and, every `batchMs`, turns them into `inference.request` audit
 * records (input SHA-256, HMAC of the unit id, no raw inputs) handed to the sink, which spools
 * and never drops. The request path only pushes to an array.
 */
export function createServingAudit(options: ServingAuditOptions): ServingAudit {
  const key = options.unitHashKey ?? randomBytes(32);
  const batchMs = options.batchMs ?? 10;
  let pending: ServedRequest[] = [];
  // Units repeat (that is what sticky assignment is about): their HMACs are worth keeping.
  const unitHashes = new Map<string, string>();
  const unitHash = (unit: string) => {
    let hash = unitHashes.get(unit);
    if (hash === undefined) {
      hash = createHmac('sha256', key).update(unit).digest('hex');
      if (unitHashes.size >= UNIT_HASH_CACHE_SIZE) unitHashes.clear();
      unitHashes.set(unit, hash);
    }
    return hash;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;

  const drain = () => {
    timer = undefined;
    const batch = pending;
    pending = [];
    for (const served of batch) {
      const digest = createHash('sha256');
      let inputBytes = 0;
      try {
        forEachInputChunk(served.request, (chunk) => {
          digest.update(chunk);
          inputBytes += chunk.length;
        });
      } catch {
        // A request that failed to parse is audited with the digest of what could be read.
      }
      try {
        options.sink.record({
          time: timestampFromMs(Math.round(served.timeMs)),
          actor: served.actor,
          action: 'inference.request',
          resource: `model/${served.model}`,
          outcome: served.statusCode === 0 ? auditV1.Outcome.SUCCESS : auditV1.Outcome.FAILURE,
          traceId: TRACEPARENT.exec(served.traceparent ?? '')?.[1] ?? '',
          serving: {
            model: served.model,
            version: served.version,
            experiment: served.experiment,
            variant: served.variant,
            latencyUs: BigInt(Math.round(served.latencyUs)),
            statusCode: served.statusCode,
            inputSha256: digest.digest('hex'),
            inputBytes: BigInt(inputBytes),
            unitHash: unitHash(served.unitId),
            requestId: served.requestId,
          },
        });
      } catch (error) {
        options.onError?.(error);
      }
    }
  };

  return {
    record(served) {
      pending.push(served);
      if (timer === undefined) {
        timer = setTimeout(drain, batchMs);
        timer.unref();
      }
    },
    drain() {
      if (timer !== undefined) clearTimeout(timer);
      drain();
    },
  };
}
