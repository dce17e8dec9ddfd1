import type { Writable } from 'node:stream';

/** Options of {@link createProgressBar}. */
export interface ProgressBarOptions {
  /** Where the bar is drawn; nothing is drawn unless it is a terminal. */
  stream: Writable & { isTTY?: boolean; columns?: number };
  /** Text before the bar, e.g. `upload spam`. */
  label: string;
  /** Bytes expected in all. */
  totalBytes: number;
  /**
   * Least time between two redraws, so a fast transfer does not spend its time drawing.
   * @default 100
   */
  redrawIntervalMs?: number;
  /**
   * Width of the bar itself in characters.
   * @default 30
   */
  barWidth?: number;
}

/** A transfer's progress on one terminal line. */
export interface ProgressBar {
  /** Sets how many bytes are done (absolute, so a resumed transfer starts where it is). */
  update(doneBytes: number): void;
  /** Draws the final state and ends the line. */
  finish(): void;
}

/** Human size: B, KiB, MiB, GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** A progress bar on `stream` when it is a terminal; a no-op otherwise (pipes, CI logs, tests). */
export function createProgressBar(options: ProgressBarOptions): ProgressBar {
  const { stream, label, totalBytes } = options;
  const redrawIntervalMs = options.redrawIntervalMs ?? 100;
  const barWidth = options.barWidth ?? 30;
  if (stream.isTTY !== true) return { update: () => undefined, finish: () => undefined };
  const started = Date.now();
  let startBytes: number | undefined;
  let lastDraw = 0;
  let done = 0;
  const draw = () => {
    const share = totalBytes === 0 ? 1 : Math.min(1, done / totalBytes);
    const filled = Math.round(share * barWidth);
    const seconds = (Date.now() - started) / 1000;
    const rate = seconds > 0 ? (done - (startBytes ?? 0)) / seconds : 0;
    stream.write(
      `\r${label} [${'#'.repeat(filled)}${' '.repeat(barWidth - filled)}] ` +
        `${(share * 100).toFixed(0).padStart(3)}% ${formatBytes(done)}/${formatBytes(totalBytes)} ` +
        `${formatBytes(rate)}/s\x1b[K`,
    );
  };
  return {
    update(doneBytes) {
      startBytes ??= doneBytes;
      done = doneBytes;
      const now = Date.now();
      if (now - lastDraw < redrawIntervalMs) return;
      lastDraw = now;
      draw();
    },
    finish() {
      draw();
      stream.write('\n');
    },
  };
}
