import { InvalidArgumentError } from '@verdict/errors';
import type { auditV1 } from '@verdict/proto';

/** Bounds on what one record may carry: details are context, never payloads. */
export interface RecordLimits {
  /** @default 128 */
  maxIdBytes: number;
  /** Longest actor, action, resource or trace id, in bytes. @default 512 */
  maxFieldBytes: number;
  /** @default 32 */
  maxDetails: number;
  /** @default 64 */
  maxDetailKeyBytes: number;
  /** @default 1024 */
  maxDetailValueBytes: number;
}

export const DEFAULT_RECORD_LIMITS: RecordLimits = {
  maxIdBytes: 128,
  maxFieldBytes: 512,
  maxDetails: 32,
  maxDetailKeyBytes: 64,
  maxDetailValueBytes: 1024,
};

/** Throws InvalidArgumentError naming the first field of `record` (at `position`) out of bounds. */
export function checkRecord(record: auditV1.Record, position: number, limits: RecordLimits): void {
  const field = (name: string) => `records[${position}].${name}`;
  const bounded = (name: string, value: string, max: number, required: boolean) => {
    const bytes = Buffer.byteLength(value, 'utf8');
    if ((required && bytes === 0) || bytes > max) {
      throw new InvalidArgumentError({ field: field(name), expected: `${required ? '1' : '0'} to ${max} bytes`, received: `${bytes} bytes` });
    }
  };
  bounded('id', record.id, limits.maxIdBytes, true);
  bounded('actor', record.actor, limits.maxFieldBytes, true);
  bounded('action', record.action, limits.maxFieldBytes, true);
  bounded('resource', record.resource, limits.maxFieldBytes, false);
  bounded('trace_id', record.traceId, limits.maxFieldBytes, false);
  if (record.time === undefined || record.time.nanos < 0 || record.time.nanos > 999_999_999) {
    throw new InvalidArgumentError({ field: field('time'), expected: 'a valid timestamp', received: record.time === undefined ? 'nothing' : `nanos ${record.time.nanos}` });
  }
  const keys = Object.keys(record.details);
  if (keys.length > limits.maxDetails) {
    throw new InvalidArgumentError({ field: field('details'), expected: `at most ${limits.maxDetails} entries`, received: `${keys.length}` });
  }
  for (const key of keys) {
    bounded(`details.${key.slice(0, 32)}(key)`, key, limits.maxDetailKeyBytes, true);
    bounded(`details.${key.slice(0, 32)}`, record.details[key], limits.maxDetailValueBytes, false);
  }
  if (record.serving !== undefined) {
    for (const [name, value] of Object.entries(record.serving)) {
      if (typeof value === 'string') bounded(`serving.${name}`, value, limits.maxFieldBytes, false);
    }
  }
}
