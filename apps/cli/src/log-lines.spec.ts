import { formatLogLine, linePrefix } from './log-lines';

describe('log lines of the dev stack', () => {
  it('renders a pino line as time, level, message and the remaining fields', () => {
    const line = JSON.stringify({
      level: 40,
      time: Date.UTC(2026, 0, 2, 3, 4, 5, 678),
      service: 'audit',
      pid: 1,
      msg: 'spool nearly full',
      depth: 9,
      path: '/x',
    });
    expect(formatLogLine(line)).toBe('03:04:05.678 WARN  spool nearly full depth=9 path=/x');
  });

  it('passes through lines that are not pino JSON', () => {
    expect(formatLogLine('plain text')).toBe('plain text');
    expect(formatLogLine('{"no":"msg"}')).toBe('{"no":"msg"}');
    expect(formatLogLine('42')).toBe('42');
  });

  it('pads prefixes to one width and colours them only on request', () => {
    expect(linePrefix('audit', 0, 8, false)).toBe('audit    |');
    expect(linePrefix('audit', 0, 8, true)).toMatch(/^\x1b\[\d+maudit    \|\x1b\[0m$/);
  });
});
