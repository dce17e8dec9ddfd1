import { InvalidArgumentError } from '@verdict/errors';
import { auditV1 } from '@verdict/proto';
import type { AuditLog, IndexedRecord } from './audit-log';

/** Which records a query wants; unset fields match everything. */
export interface QueryFilter {
  /** Inclusive, milliseconds since the epoch. */
  startMs?: number;
  /** Exclusive, milliseconds since the epoch. */
  endMs?: number;
  actor?: string;
  /** An exact action, or a prefix ending in `.*`. */
  action?: string;
  resource?: string;
  outcome?: auditV1.Outcome;
}

export interface QueryLimits {
  /** Page size when the caller asks for none. @default 100 */
  defaultPageSize: number;
  /** @default 1000 */
  maxPageSize: number;
  /** Most records examined for one page, so one call's cost stays bounded. @default 100000 */
  maxScan: number;
  /** Records read from disk at a time. @default 1000 */
  readChunk: number;
}

export const DEFAULT_QUERY_LIMITS: QueryLimits = {
  defaultPageSize: 100,
  maxPageSize: 1000,
  maxScan: 100_000,
  readChunk: 1000,
};

/** A page of matching records, oldest first, and the token of the next page (empty when done). */
export interface QueryPage {
  records: IndexedRecord[];
  nextPageToken: string;
}

/**
 * Scans the log from the page token's index. A page ends when it is full, when `maxScan`
 * records were examined (then it may be short, even empty, with a token to continue), or at the
 * end of the log.
 */
export async function queryLog(
  log: AuditLog,
  filter: QueryFilter,
  pageSize: number,
  pageToken: string,
  limits: QueryLimits,
): Promise<QueryPage> {
  const size = pageSize === 0 ? limits.defaultPageSize : Math.min(pageSize, limits.maxPageSize);
  let index = parseToken(pageToken);
  const end = log.size;
  const scanEnd = Math.min(end, index + limits.maxScan);
  const matches = compile(filter);
  const records: IndexedRecord[] = [];
  while (index < scanEnd && records.length < size) {
    const chunk = await log.read(index, Math.min(scanEnd, index + limits.readChunk));
    for (const entry of chunk) {
      index = entry.index + 1;
      if (matches(entry.record)) {
        records.push(entry);
        if (records.length === size) break;
      }
    }
  }
  return { records, nextPageToken: index < end ? `i${index}` : '' };
}

function parseToken(token: string): number {
  if (token === '') return 0;
  const match = /^i(\d{1,15})$/.exec(token);
  if (match === null)
    throw new InvalidArgumentError({
      field: 'page_token',
      expected: 'a next_page_token from an earlier page',
      received: token,
    });
  return Number(match[1]);
}

function compile(filter: QueryFilter): (record: auditV1.Record) => boolean {
  const action = filter.action;
  const actionPrefix = action?.endsWith('.*') ? action.slice(0, -1) : undefined;
  return (record) => {
    const ms = Number(record.time?.seconds ?? 0n) * 1000 + (record.time?.nanos ?? 0) / 1e6;
    if (filter.startMs !== undefined && ms < filter.startMs) return false;
    if (filter.endMs !== undefined && ms >= filter.endMs) return false;
    if (filter.actor && record.actor !== filter.actor) return false;
    if (filter.resource && record.resource !== filter.resource) return false;
    if (filter.outcome && record.outcome !== filter.outcome) return false;
    if (actionPrefix !== undefined) return record.action.startsWith(actionPrefix);
    return !action || record.action === action;
  };
}
