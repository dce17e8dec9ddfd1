import fc from 'fast-check';
import { GRID_STEPS_MS, timeGrid } from './time-grid';

describe('timeGrid', () => {
  it('ends at end, ascending, within the point budget, on multiples of the step', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 0, max: 90 * 86_400_000 }),
        fc.integer({ min: 2, max: 200 }),
        (start, span, maxPoints) => {
          const { stepMs, ends } = timeGrid(start, start + span, maxPoints);
          expect(ends.length).toBeGreaterThanOrEqual(1);
          expect(ends.length).toBeLessThanOrEqual(maxPoints);
          expect(ends[ends.length - 1]).toBe(start + span);
          for (let i = 1; i < ends.length; i++) expect(ends[i]).toBeGreaterThan(ends[i - 1]);
          for (const end of ends.slice(0, -1)) {
            expect(end % stepMs).toBe(0);
            expect(end).toBeGreaterThan(start);
          }
        },
      ),
    );
  });

  it('steps by whole statistics windows, so inner points fall on window boundaries', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2e12 }),
        fc.integer({ min: 0, max: 400 * 86_400_000 }),
        fc.integer({ min: 2, max: 200 }),
        fc.constantFrom(1000, 60_000, 3_600_000, 7 * 60_000, 86_400_000),
        (start, span, maxPoints, windowMs) => {
          const { stepMs, ends } = timeGrid(start, start + span, maxPoints, windowMs);
          expect(stepMs % windowMs).toBe(0);
          expect(ends.length).toBeLessThanOrEqual(maxPoints);
          for (const end of ends.slice(0, -1)) expect(end % windowMs).toBe(0);
        },
      ),
    );
    const hour = 3_600_000;
    const start = Date.UTC(2026, 0, 1, 10, 20);
    expect(timeGrid(start, start + 5 * hour, 48, hour)).toEqual({
      stepMs: hour,
      ends: [11, 12, 13, 14, 15].map((h) => Date.UTC(2026, 0, 1, h)).concat(start + 5 * hour),
    });
  });

  it('keeps the same inner points while the life grows within one step, so they can be cached', () => {
    const start = Date.UTC(2026, 0, 1, 10, 3, 17);
    const first = timeGrid(start, start + 3_600_000, 48);
    const later = timeGrid(start, start + 3_600_000 + 30_000, 48);
    expect(later.stepMs).toBe(first.stepMs);
    const firstInner = first.ends.slice(0, -1);
    expect(later.ends.slice(0, firstInner.length)).toEqual(firstInner);
  });

  it('gives a single point for an experiment that has only just started', () => {
    expect(timeGrid(1000, 1000, 48).ends).toEqual([1000]);
    expect(timeGrid(1000, 1500, 48).ends).toEqual([1500]);
  });

  it('falls back to whole weeks past the longest listed step', () => {
    const longest = GRID_STEPS_MS[GRID_STEPS_MS.length - 1];
    const { stepMs, ends } = timeGrid(0, longest * 500, 10);
    expect(stepMs % (7 * 86_400_000)).toBe(0);
    expect(ends.length).toBeLessThanOrEqual(10);
  });
});
