import { timestampDate, timestampFromDate } from '@bufbuild/protobuf/wkt';
import { auditV1 } from '@verdict/proto';
import { auditClient, type AuditConnectionFlags } from './audit-connection';
import type { CommandResult } from './command';

/** How often `tail --follow` asks for new records. */
const FOLLOW_INTERVAL_MS = 1000;

/** One record as a JSON line (no bigint in JSON: indexes and sizes become strings). */
export function formatRecord(entry: auditV1.IndexedRecord): string {
  const r = entry.record!;
  return JSON.stringify({
    index: entry.index.toString(),
    id: r.id,
    time: r.time === undefined ? undefined : timestampDate(r.time).toISOString(),
    actor: r.actor,
    action: r.action,
    resource: r.resource,
    outcome: auditV1.Outcome[r.outcome]?.toLowerCase(),
    trace_id: r.traceId || undefined,
    details: Object.keys(r.details).length > 0 ? r.details : undefined,
    serving:
      r.serving === undefined
        ? undefined
        : {
            ...r.serving,
            $typeName: undefined,
            latencyUs: r.serving.latencyUs.toString(),
            inputBytes: r.serving.inputBytes.toString(),
          },
  });
}

/** `verdict audit tail`. */
export async function auditTailCommand(
  flags: AuditConnectionFlags & { lines?: string; follow?: boolean },
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  const client = auditClient(flags);
  try {
    const lines = BigInt(flags.lines ?? '20');
    const size = (await client.getCheckpoint({ treeSize: 0n })).checkpoint?.treeSize ?? 0n;
    let next = size > lines ? size - lines : 0n;
    for (;;) {
      for await (const page of client.export({ startIndex: next, endIndex: 0n })) {
        for (const entry of page.records) {
          output.write(`${formatRecord(entry)}\n`);
          next = entry.index + 1n;
        }
      }
      if (flags.follow !== true) return { exitCode: 0 };
      await new Promise((resolve) => setTimeout(resolve, FOLLOW_INTERVAL_MS));
    }
  } finally {
    client.close();
  }
}

/** `verdict audit query`. */
export async function auditQueryCommand(
  flags: AuditConnectionFlags & {
    actor?: string;
    action?: string;
    resource?: string;
    outcome?: string;
    since?: string;
    until?: string;
    limit?: string;
  },
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  const outcome =
    flags.outcome === undefined
      ? auditV1.Outcome.UNSPECIFIED
      : auditV1.Outcome[flags.outcome.toUpperCase() as keyof typeof auditV1.Outcome];
  if (outcome === undefined) {
    process.stderr.write(
      `verdict audit query: --outcome must be success, failure or denied, got "${flags.outcome}"\n`,
    );
    return { exitCode: 2 };
  }
  const time = (value: string | undefined, flag: string) => {
    if (value === undefined) return undefined;
    const date = new Date(value);
    if (Number.isNaN(date.getTime()))
      throw new Error(`--${flag}: expected an ISO time, got "${value}"`);
    return timestampFromDate(date);
  };
  const limit = Number(flags.limit ?? '100');
  const client = auditClient(flags);
  try {
    let pageToken = '';
    let printed = 0;
    do {
      const page = await client.query({
        actor: flags.actor,
        action: flags.action,
        resource: flags.resource,
        outcome,
        startTime: time(flags.since, 'since'),
        endTime: time(flags.until, 'until'),
        pageSize: Math.min(limit - printed, 1000),
        pageToken,
      });
      for (const entry of page.records) output.write(`${formatRecord(entry)}\n`);
      printed += page.records.length;
      pageToken = page.nextPageToken;
    } while (pageToken !== '' && printed < limit);
    return { exitCode: 0 };
  } finally {
    client.close();
  }
}
