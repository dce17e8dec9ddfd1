import { randomUUID } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { auditV1 } from '@verdict/proto';
import type { AuditRecordInit, AuditSink } from './audit-sink';
import { encodeRecord } from './record-encoding';

/** An {@link AuditSink} that keeps records in memory, for tests of the services that audit. */
export interface MemoryAuditSink extends AuditSink {
  /** Every record received, in order. */
  readonly records: readonly auditV1.Record[];
}

/** Creates an in-memory audit sink. */
export function createMemoryAuditSink(): MemoryAuditSink {
  const records: auditV1.Record[] = [];
  return {
    records,
    record(init: AuditRecordInit) {
      const record = create(auditV1.RecordSchema, init);
      record.id ||= randomUUID();
      record.time ??= timestampNow();
      encodeRecord(record);
      records.push(record);
      return record.id;
    },
    flush: () => Promise.resolve(),
    close: () => Promise.resolve(),
    spoolBytes: 0,
  };
}
