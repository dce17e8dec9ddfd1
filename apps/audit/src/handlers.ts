/** The gRPC face of the audit log: messages in, domain calls, messages out. */
import { timestampDate, timestampFromMs } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from '@verdict/errors';
import type { ServiceImpl } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import type { AuditLog } from './log/audit-log';
import type { Checkpointer, StoredCheckpoint } from './log/checkpointer';
import { queryLog, type QueryLimits } from './log/query';

export interface AuditHandlersOptions {
  log: AuditLog;
  checkpointer: Checkpointer;
  origin: string;
  queryLimits: QueryLimits;
  /** Records per Export message. */
  exportBatchRecords: number;
}

/** Creates the AuditService handlers. */
export function createAuditHandlers(
  options: AuditHandlersOptions,
): ServiceImpl<(typeof auditV1.AuditService)['method']> {
  const { log, checkpointer } = options;

  const checkpointMessage = (checkpoint: StoredCheckpoint) => ({
    note: checkpoint.note,
    origin: options.origin,
    treeSize: BigInt(checkpoint.treeSize),
    rootHash: checkpoint.rootHash,
    createTime: timestampFromMs(checkpoint.createTimeMs),
  });
  /** 0 means the latest checkpoint's size; anything else must be a size the log has reached. */
  const sizeOrLatest = (value: bigint, field: string) => {
    const size = value === 0n ? checkpointer.latest().treeSize : Number(value);
    if (size > log.size)
      throw new InvalidArgumentError({
        field,
        expected: `a tree size up to ${log.size}`,
        received: String(value),
      });
    return size;
  };

  return {
    async append(request) {
      const outcomes = await log.append(request.records);
      return {
        results: outcomes.map((o) => ({
          id: o.id,
          index: BigInt(o.index),
          duplicate: o.duplicate,
        })),
        treeSize: BigInt(log.size),
      };
    },
    async appendStream(requests) {
      let appended = 0n;
      let duplicates = 0n;
      for await (const request of requests) {
        for (const outcome of await log.append(request.records)) {
          if (outcome.duplicate) duplicates += 1n;
          else appended += 1n;
        }
      }
      return { appendedCount: appended, duplicateCount: duplicates, treeSize: BigInt(log.size) };
    },
    getCheckpoint(request) {
      const checkpoint =
        request.treeSize === 0n
          ? checkpointer.latest()
          : checkpointer.atSize(Number(request.treeSize));
      return { checkpoint: checkpointMessage(checkpoint) };
    },
    getInclusionProof(request) {
      const treeSize = sizeOrLatest(request.treeSize, 'tree_size');
      let index: number;
      if (request.leaf.case === 'recordId') {
        const found = log.indexOf(request.leaf.value);
        if (found === undefined)
          throw new InvalidArgumentError({
            field: 'record_id',
            expected: 'the id of a record in the log',
            received: request.leaf.value,
          });
        index = found;
      } else if (request.leaf.case === 'index') {
        index = Number(request.leaf.value);
      } else {
        throw new InvalidArgumentError({
          field: 'leaf',
          expected: 'record_id or index',
          received: 'neither',
        });
      }
      const hashes = log.tree.inclusionProof(index, treeSize);
      return {
        index: BigInt(index),
        treeSize: BigInt(treeSize),
        leafHash: log.tree.leafHash(index),
        hashes,
      };
    },
    getConsistencyProof(request) {
      const second = sizeOrLatest(request.secondSize, 'second_size');
      const first = Number(request.firstSize);
      return {
        firstSize: BigInt(first),
        secondSize: BigInt(second),
        hashes: log.tree.consistencyProof(first, second),
      };
    },
    async query(request) {
      const page = await queryLog(
        log,
        {
          startMs:
            request.startTime === undefined
              ? undefined
              : timestampDate(request.startTime).getTime(),
          endMs:
            request.endTime === undefined ? undefined : timestampDate(request.endTime).getTime(),
          actor: request.actor,
          action: request.action,
          resource: request.resource,
          outcome: request.outcome === auditV1.Outcome.UNSPECIFIED ? undefined : request.outcome,
        },
        request.pageSize,
        request.pageToken,
        options.queryLimits,
      );
      return {
        records: page.records.map((entry) => ({
          index: BigInt(entry.index),
          record: entry.record,
        })),
        nextPageToken: page.nextPageToken,
      };
    },
    async *export(request, context) {
      const end = request.endIndex === 0n ? log.size : Math.min(Number(request.endIndex), log.size);
      for (
        let start = Number(request.startIndex);
        start < end && !context.signal.aborted;
        start += options.exportBatchRecords
      ) {
        const records = await log.read(start, Math.min(end, start + options.exportBatchRecords));
        yield {
          records: records.map((entry) => ({ index: BigInt(entry.index), record: entry.record })),
        };
      }
    },
  };
}
