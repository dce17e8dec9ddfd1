/**
 * Where the sufficient statistics live in the Store, shared by ingest (writer) and results
 * (reader).
 *
 * Every statistic is kept at two levels: per window (`w`, default one hour) and per rollup
 * (`r`, default one day, a multiple of the window); during the first hours of an experiment
 * (`fineHorizonMs` after its start) also per fine window (`f`, default ten seconds, a divisor of
 * the window), so that a range ending inside a window of a young experiment is exact. Each is a counter
 * `analyzer/stats/<level>/<experiment>/<start>/<variant>/<metric>/<field>` (parts URI-encoded,
 * start in epoch milliseconds). Counters cannot be listed, so each counter name is also a member
 * `<start>/<variant>/<metric>/<field>` of the sorted set `analyzer/stats-index/<level>/<experiment>`
 * with the start as score: results read the members of the whole days inside the range from
 * the rollup level, the hours at its edges from the window level, and then exactly those
 * counters, never raw events.
 */

/** Built-in binary metric: share of exposures whose status code was not OK. */
export const ERROR_RATE_METRIC = 'error_rate';
/** Built-in latency metric, from `latency_us` of exposures. */
export const LATENCY_METRIC = 'latency';
/** Internal metric holding distinct units (first exposures) and their expected counts. */
export const UNITS_METRIC = '_units';
/** Internal metric of shadow comparisons (per shadow variant). */
export const SHADOW_METRIC = '_shadow';
/** Prefix of the internal CUPED metric of an outcome metric with a covariate. */
export const CUPED_PREFIX = '_cuped:';

/** Field names of the counters; integer counters use incrementBy, the rest incrementFloat. */
export const FIELD = {
  /** Observations (requests for error_rate and latency, outcomes for outcome metrics). */
  n: 'n',
  /** Successes of a binary metric (errors for error_rate). */
  successes: 's',
  sum: 'sum',
  sumSquares: 'sum2',
  /** Latency histogram bucket i is field `h<i>`. */
  bucketPrefix: 'h',
  /** Σ over first exposures of the variant's normalised configured weight at that time. */
  expected: 'expected',
  /** CUPED sums: covariate x, cross product x·y. */
  sumX: 'x',
  sumXSquares: 'x2',
  sumXY: 'xy',
  /** Shadow fields. */
  shadowErrors: 'err',
  shadowOk: 'ok',
  agree: 'agree',
  meanAbsDiff: 'mad',
  meanAbsDiffSquares: 'mad2',
  latencyDiff: 'ld',
  latencyDiffSquares: 'ld2',
} as const;

const INTEGER_FIELDS = new Set<string>([
  FIELD.n,
  FIELD.successes,
  FIELD.shadowErrors,
  FIELD.shadowOk,
  FIELD.agree,
]);

/** True for fields kept with incrementBy (counts); false for float sums. */
export function isIntegerField(field: string): boolean {
  return INTEGER_FIELDS.has(field) || field.startsWith(FIELD.bucketPrefix);
}

const e = encodeURIComponent;

/** Window level (`w`), rollup level (`r`) or fine level (`f`). */
export type Level = 'w' | 'r' | 'f';

/** The sorted set listing an experiment's counters of one level. */
export function indexKey(experimentId: string, level: Level): string {
  return `analyzer/stats-index/${level}/${e(experimentId)}`;
}

/** Member of the index for one counter. */
export function indexMember(window: number, variant: string, metric: string, field: string) {
  return `${window}/${e(variant)}/${e(metric)}/${e(field)}`;
}

/** The counter named by an index member. */
export function counterKey(experimentId: string, level: Level, member: string): string {
  return `analyzer/stats/${level}/${e(experimentId)}/${member}`;
}

/** Entry holding the largest absolute output difference of a shadow variant in a window. */
export function shadowMaxKey(
  experimentId: string,
  level: Level,
  window: number,
  variant: string,
): string {
  return `analyzer/shadow-max/${level}/${e(experimentId)}/${window}/${e(variant)}`;
}

/** Parts of an index member. */
export interface ParsedMember {
  readonly window: number;
  readonly variant: string;
  readonly metric: string;
  readonly field: string;
}

/** Splits an index member written by {@link indexMember}; undefined for a foreign member. */
export function parseMember(member: string): ParsedMember | undefined {
  const parts = member.split('/');
  if (parts.length !== 4) return undefined;
  const window = Number(parts[0]);
  if (!Number.isSafeInteger(window)) return undefined;
  return {
    window,
    variant: decodeURIComponent(parts[1]),
    metric: decodeURIComponent(parts[2]),
    field: decodeURIComponent(parts[3]),
  };
}
