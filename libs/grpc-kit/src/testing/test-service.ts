import { setTimeout as delay } from 'node:timers/promises';
import { UnimplementedError } from '@verdict/errors';
import { describePrincipal } from '@verdict/security';
import { auditV1 } from '@verdict/proto';
import type { ServiceImpl } from '../types';

type AuditMethods = (typeof auditV1.AuditService)['method'];

/**
 * An AuditService implementation for kit tests (the real one lives in apps/audit): Append echoes
 * indexes and reports the caller in the `x-principal` trailer; a record id `sleep:<ms>` makes the
 * call take that long; `fail:internal` throws a plain Error. Export streams `end_index` records.
 */
export function createTestAuditService(): ServiceImpl<AuditMethods> {
  const unimplemented = (name: string) => () => {
    throw new UnimplementedError(`verdict.audit.v1.AuditService/${name}`);
  };
  return {
    async append(request, context) {
      context.setTrailer('x-principal', describePrincipal(context.principal));
      for (const record of request.records) {
        if (record.id.startsWith('sleep:')) await delay(Number(record.id.slice(6)));
        if (record.id === 'fail:internal') throw new Error('database password is hunter2');
      }
      return {
        results: request.records.map((record, index) => ({ id: record.id, index: BigInt(index) })),
        treeSize: BigInt(request.records.length),
      };
    },
    async appendStream(requests) {
      let appended = 0n;
      for await (const batch of requests) appended += BigInt(batch.records.length);
      return { appendedCount: appended, treeSize: appended };
    },
    async *export(request) {
      for (let index = request.startIndex; index < request.endIndex; index++) {
        yield { records: [{ index, record: { id: `record-${index}` } }] };
      }
    },
    getCheckpoint: unimplemented('GetCheckpoint'),
    getInclusionProof: unimplemented('GetInclusionProof'),
    getConsistencyProof: unimplemented('GetConsistencyProof'),
    query: unimplemented('Query'),
  };
}
