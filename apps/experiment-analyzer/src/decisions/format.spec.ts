import { count, duration } from './format';

describe('decision text numbers', () => {
  it('says a duration in the unit a person would use', () => {
    expect(duration(45_000)).toBe('45 s');
    expect(duration(2 * 60_000)).toBe('2 min');
    expect(duration(10 * 60_000)).toBe('10 min');
    expect(duration(5.5 * 3_600_000)).toBe('5.5 h');
    expect(duration(7 * 86_400_000)).toBe('7 days');
  });

  it('writes counts with thousands separators', () => {
    expect(count(4894)).toBe('4,894');
    expect(count(500)).toBe('500');
  });
});
