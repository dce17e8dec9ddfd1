import { setTimeout as delay } from 'node:timers/promises';
import { createClient, type ClientTransportOptions } from '@verdict/grpc-kit';
import { experimentsV1 } from '@verdict/proto';
import type { Logger } from '@verdict/telemetry';
import type { RouterStateHolder } from './router-state';

export interface AnalyzerTableSourceOptions {
  /** `host:port` of the experiment analyzer. */
  address: string;
  transport: ClientTransportOptions;
  holder: RouterStateHolder;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** First wait before re-opening a lost watch; doubles per failure. @default 200 */
  retryInitialMs?: number;
  /** @default 5000 */
  retryMaxMs?: number;
}

/** Routing tables streamed from the analyzer's RoutingService. */
export interface AnalyzerTableSource {
  close(): void;
}

/**
 * Follows RoutingService.WatchRoutingTable: applies every table it sends, resumes after a lost
 * stream with `after_version` = the version in force, and re-connects with exponential backoff.
 * While the analyzer is away the last good table stays in force; an invalid table is logged and
 * skipped.
 */
export function watchAnalyzerTables(options: AnalyzerTableSourceOptions): AnalyzerTableSource {
  const { holder, logger } = options;
  const initialMs = options.retryInitialMs ?? 200;
  const maxMs = options.retryMaxMs ?? 5000;
  const stop = new AbortController();
  const client = createClient(experimentsV1.RoutingService, {
    address: options.address,
    transport: options.transport,
    defaultTimeoutMs: 0,
  });

  const run = async () => {
    let backoffMs = initialMs;
    while (!stop.signal.aborted) {
      // One controller per attempt: the kit leaves its abort listener on the signal it is given.
      const attempt = new AbortController();
      const cancel = () => attempt.abort();
      stop.signal.addEventListener('abort', cancel, { once: true });
      try {
        const afterVersion = holder.current?.table.version ?? 0n;
        for await (const update of client.watchRoutingTable(
          { afterVersion },
          { signal: attempt.signal },
        )) {
          backoffMs = initialMs;
          if (update.table === undefined) continue;
          try {
            const outcome = holder.apply(update.table);
            if (outcome.applied) {
              logger.info(
                { version: String(outcome.version) },
                'routing table applied from the analyzer',
              );
            }
          } catch (error) {
            logger.error(
              { version: String(update.table.version), err: (error as Error).message },
              'routing table from the analyzer rejected; the table in force stays',
            );
          }
        }
      } catch (error) {
        if (stop.signal.aborted) return;
        logger.warn(
          { address: options.address, err: (error as Error).message, retry_ms: backoffMs },
          'routing table watch lost; the table in force stays',
        );
      } finally {
        stop.signal.removeEventListener('abort', cancel);
      }
      if (stop.signal.aborted) return;
      await delay(backoffMs, undefined, { signal: stop.signal }).catch(() => undefined);
      backoffMs = Math.min(backoffMs * 2, maxMs);
    }
  };
  void run();
  return {
    close() {
      stop.abort();
      client.close();
    },
  };
}
