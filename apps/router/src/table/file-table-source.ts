import { watchFile, unwatchFile, type Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { parseRoutingTableText } from '@verdict/routing';
import type { Logger } from '@verdict/telemetry';
import type { RouterStateHolder } from './router-state';

/** A routing table read from a file and re-read whenever the file changes. */
export interface FileTableSource {
  /** Resolves after the first attempt to load the file (applied or not). */
  readonly loaded: Promise<void>;
  close(): void;
}

export interface FileTableSourceOptions {
  path: string;
  holder: RouterStateHolder;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** How often the file's size and mtime are checked. @default 500 */
  pollMs?: number;
}

/**
 * Loads `path` (YAML when it ends in .yaml or .yml, else proto3 JSON) and watches it. A file that
 * does not parse or validate is logged and changes nothing: the last good table stays in force.
 * Edits must raise `version`; an older or equal version is logged and ignored.
 */
export function watchTableFile(options: FileTableSourceOptions): FileTableSource {
  const { path, holder, logger } = options;
  const format = /\.ya?ml$/i.test(path) ? 'yaml' : 'json';
  let running: Promise<void> = Promise.resolve();

  const load = async () => {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      logger.warn(
        { path, err: (error as Error).message, version: versionInForce(holder) },
        'routing table file unreadable; the table in force stays',
      );
      return;
    }
    try {
      const table = parseRoutingTableText(text, format, holder.current?.table.source);
      const outcome = holder.apply(table);
      if (outcome.applied) {
        logger.info({ path, version: String(outcome.version) }, 'routing table applied from file');
      } else {
        logger.warn({ path, reason: outcome.reason }, 'routing table file ignored');
      }
    } catch (error) {
      logger.error(
        { path, err: (error as Error).message, version: versionInForce(holder) },
        'routing table file rejected; the table in force stays',
      );
    }
  };

  const onChange = (current: Stats, previous: Stats) => {
    if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
    // Loads run one after another so an older read never lands after a newer one.
    running = running.then(load);
  };
  watchFile(path, { interval: options.pollMs ?? 500, persistent: false }, onChange);
  running = load();
  return {
    loaded: running,
    close: () => unwatchFile(path, onChange),
  };
}

function versionInForce(holder: RouterStateHolder): string | null {
  return holder.current === undefined ? null : String(holder.current.table.version);
}
