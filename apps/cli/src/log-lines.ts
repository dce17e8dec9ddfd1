const COLOURS = ['\x1b[36m', '\x1b[35m', '\x1b[33m', '\x1b[32m', '\x1b[34m'];
const RESET = '\x1b[0m';
const LEVELS: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every line has; the rest is printed after the message. */
const COMMON_FIELDS = new Set(['level', 'time', 'msg', 'service', 'pid', 'hostname']);

/** A prefix such as `router      |`, coloured when the output is a terminal. */
export function linePrefix(name: string, index: number, width: number, colour: boolean): string {
  const label = `${name.padEnd(width)} |`;
  return colour ? `${COLOURS[index % COLOURS.length]}${label}${RESET}` : label;
}

/**
 * Renders one pino JSON line for a person: time, level, message, then the other fields.
 * Lines that are not JSON are shown as they are.
 */
export function formatLogLine(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || !('msg' in record)) return line;
  const time =
    typeof record.time === 'number' ? new Date(record.time).toISOString().slice(11, 23) : '';
  const level = LEVELS[record.level as number] ?? String(record.level);
  const rest = Object.entries(record)
    .filter(([key]) => !COMMON_FIELDS.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' ');
  return `${time} ${level.padEnd(5)} ${String(record.msg)}${rest ? ` ${rest}` : ''}`;
}
