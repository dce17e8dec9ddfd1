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
  // Plain calls on the hot path; the field name is only built once something is wrong.
  checkText(record.id, limits.maxIdBytes, true, position, 'id');
  checkText(record.actor, limits.maxFieldBytes, true, position, 'actor');
  checkText(record.action, limits.maxFieldBytes, true, position, 'action');
  checkText(record.resource, limits.maxFieldBytes, false, position, 'resource');
  checkText(record.traceId, limits.maxFieldBytes, false, position, 'trace_id');
  const time = record.time;
  if (time === undefined || !(time.nanos >= 0 && time.nanos <= 999_999_999)) {
    throw new InvalidArgumentError({
      field: `records[${position}].time`,
      expected: 'a valid timestamp',
      received: time === undefined ? 'nothing' : `nanos ${time.nanos}`,
    });
  }
  const entries = Object.keys(record.details).length;
  if (entries > limits.maxDetails) {
    throw new InvalidArgumentError({
      field: `records[${position}].details`,
      expected: `at most ${limits.maxDetails} entries`,
      received: `${entries}`,
    });
  }
  for (const key in record.details) {
    checkText(key, limits.maxDetailKeyBytes, true, position, 'details', key, '(key)');
    checkText(record.details[key], limits.maxDetailValueBytes, false, position, 'details', key);
  }
  const serving = record.serving;
  if (serving !== undefined) {
    const max = limits.maxFieldBytes;
    checkText(serving.model, max, false, position, 'serving.model');
    checkText(serving.version, max, false, position, 'serving.version');
    checkText(serving.experiment, max, false, position, 'serving.experiment');
    checkText(serving.variant, max, false, position, 'serving.variant');
    checkText(serving.inputSha256, max, false, position, 'serving.input_sha256');
    checkText(serving.unitHash, max, false, position, 'serving.unit_hash');
    checkText(serving.requestId, max, false, position, 'serving.request_id');
  }
}

function checkText(
  value: string,
  max: number,
  required: boolean,
  position: number,
  name: string,
  key?: string,
  suffix = '',
): void {
  // A UTF-16 unit is at most 3 UTF-8 bytes: most strings need no byte count at all.
  if (value.length * 3 <= max && (!required || value.length > 0)) return;
  const bytes = Buffer.byteLength(value, 'utf8');
  if ((required && bytes === 0) || bytes > max) {
    const field = `records[${position}].${name}${key === undefined ? '' : `.${key.slice(0, 32)}${suffix}`}`;
    throw new InvalidArgumentError({
      field,
      expected: `${required ? '1' : '0'} to ${max} bytes`,
      received: `${bytes} bytes`,
    });
  }
}
