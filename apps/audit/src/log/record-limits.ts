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
    // A UTF-16 unit is at most 3 UTF-8 bytes: most strings need no byte count at all.
    if (value.length * 3 <= max && (!required || value.length > 0)) return;
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
  const serving = record.serving;
  if (serving !== undefined) {
    const fields = { model: serving.model, version: serving.version, experiment: serving.experiment, variant: serving.variant, input_sha256: serving.inputSha256, unit_hash: serving.unitHash, request_id: serving.requestId };
    for (const [name, value] of Object.entries(fields)) bounded(`serving.${name}`, value, limits.maxFieldBytes, false);
  }
}
