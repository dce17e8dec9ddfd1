/**
 * Where the over-time plots take their points: at round multiples of a "nice" step, so that
 * the points of an experiment stay the same from one poll to the next (and can be cached) until
 * its life grows past the point budget and the step doubles.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;

/** Steps a grid may use, shortest first. */
export const GRID_STEPS_MS: readonly number[] = [
  SECOND,
  2 * SECOND,
  5 * SECOND,
  10 * SECOND,
  15 * SECOND,
  30 * SECOND,
  MINUTE,
  2 * MINUTE,
  5 * MINUTE,
  10 * MINUTE,
  15 * MINUTE,
  30 * MINUTE,
  HOUR,
  2 * HOUR,
  3 * HOUR,
  6 * HOUR,
  12 * HOUR,
  DAY,
  2 * DAY,
  7 * DAY,
  14 * DAY,
  28 * DAY,
];

/** The points of a grid: cumulative range ends, ascending, the last one `end` itself. */
export interface TimeGrid {
  readonly stepMs: number;
  readonly ends: readonly number[];
}

/**
 * Ends of cumulative ranges over [start, end]: every multiple of the step strictly inside, then
 * `end`. At most `maxPoints` (at least 2) ends; a life shorter than the smallest step gives `end`
 * alone. `minStepMs` is the resolution of the statistics (the ingest's window): steps are
 * multiples of it, so that inner points fall on window boundaries (epoch-aligned, like the
 * windows) and no two points read the same windows.
 */
export function timeGrid(
  startMs: number,
  endMs: number,
  maxPoints: number,
  minStepMs = SECOND,
): TimeGrid {
  const span = Math.max(0, endMs - startMs);
  const inner = Math.max(1, maxPoints - 1);
  const fits = (step: number) => Math.floor(span / step) <= inner;
  const candidates = [
    minStepMs,
    ...GRID_STEPS_MS.filter((step) => step > minStepMs && step % minStepMs === 0),
  ];
  // Past the table: whole weeks when the window divides a week, else whole windows.
  const unit = WEEK % minStepMs === 0 ? WEEK : minStepMs;
  const stepMs = candidates.find(fits) ?? unit * Math.max(1, Math.ceil(span / (unit * inner)));
  const ends: number[] = [];
  for (let t = (Math.floor(startMs / stepMs) + 1) * stepMs; t < endMs; t += stepMs) ends.push(t);
  // The first multiple may sit close to start; dropping it keeps the count within the budget.
  while (ends.length > inner) ends.shift();
  ends.push(endMs);
  return { stepMs, ends };
}
