import type { Timestamp } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from '@verdict/errors';
import type { experimentsV1 } from '@verdict/proto';
import { ERROR_RATE_METRIC, LATENCY_METRIC } from './stat-keys';

/** Longest id (event, experiment, variant, unit, request) accepted, bounding index memory. */
export const MAX_ID_LENGTH = 512;

function requireId(field: string, value: string, optional = false): void {
  if ((value === '' && !optional) || value.length > MAX_ID_LENGTH) {
    throw new InvalidArgumentError({
      field,
      expected: `a ${optional ? '' : 'non-empty '}string of at most ${MAX_ID_LENGTH} characters`,
      received: value === '' ? 'an empty string' : `${value.length} characters`,
    });
  }
}

function requireTime(field: string, time: Timestamp | undefined): void {
  if (time === undefined) return;
  if (time.seconds < 0n || time.nanos < 0 || time.nanos >= 1e9) {
    throw new InvalidArgumentError({
      field,
      expected: 'a timestamp after 1970 with nanos in [0, 1e9)',
      received: `seconds=${time.seconds} nanos=${time.nanos}`,
    });
  }
}

function requireNonNegative(field: string, value: number): void {
  if (!(Number.isFinite(value) && value >= 0)) {
    throw new InvalidArgumentError({
      field,
      expected: 'a finite number ≥ 0',
      received: String(value),
    });
  }
}

/** Throws an InvalidArgumentError naming the first bad field of a batch of exposures. */
export function validateExposures(events: readonly experimentsV1.ExposureEvent[]): void {
  events.forEach((e, i) => {
    const at = `events[${i}]`;
    requireId(`${at}.event_id`, e.eventId);
    requireId(`${at}.experiment_id`, e.experimentId);
    requireId(`${at}.variant`, e.variant);
    requireId(`${at}.unit_id`, e.unitId);
    requireId(`${at}.request_id`, e.requestId, true);
    requireTime(`${at}.time`, e.time);
  });
}

/** Throws an InvalidArgumentError naming the first bad field of a batch of shadow comparisons. */
export function validateShadowComparisons(
  comparisons: readonly experimentsV1.ShadowComparison[],
): void {
  comparisons.forEach((c, i) => {
    const at = `comparisons[${i}]`;
    requireId(`${at}.event_id`, c.eventId);
    requireId(`${at}.experiment_id`, c.experimentId);
    requireId(`${at}.shadow_variant`, c.shadowVariant);
    requireId(`${at}.request_id`, c.requestId, true);
    requireNonNegative(`${at}.max_abs_diff`, c.maxAbsDiff);
    requireNonNegative(`${at}.mean_abs_diff`, c.meanAbsDiff);
    requireTime(`${at}.time`, c.time);
  });
}

/** True for names the analyzer computes itself or keeps for its own statistics. */
export function isReservedMetric(name: string): boolean {
  return name === ERROR_RATE_METRIC || name === LATENCY_METRIC || name.startsWith('_');
}

/** Throws an InvalidArgumentError naming the first bad field of a batch of outcomes. */
export function validateOutcomes(outcomes: readonly experimentsV1.Outcome[]): void {
  outcomes.forEach((o, i) => {
    const at = `outcomes[${i}]`;
    requireId(`${at}.event_id`, o.eventId);
    if (o.subject.case === undefined) {
      throw new InvalidArgumentError({
        field: `${at}.subject`,
        expected: 'request_id or unit_id',
        received: 'neither',
      });
    }
    requireId(
      `${at}.${o.subject.case === 'requestId' ? 'request_id' : 'unit_id'}`,
      o.subject.value,
    );
    requireId(`${at}.experiment_id`, o.experimentId, true);
    requireId(`${at}.metric`, o.metric);
    if (isReservedMetric(o.metric)) {
      throw new InvalidArgumentError({
        field: `${at}.metric`,
        expected: `a metric name other than ${ERROR_RATE_METRIC}, ${LATENCY_METRIC} and names starting with "_" (computed by the analyzer)`,
        received: JSON.stringify(o.metric),
      });
    }
    if (!Number.isFinite(o.value)) {
      throw new InvalidArgumentError({
        field: `${at}.value`,
        expected: 'a finite number',
        received: String(o.value),
      });
    }
    requireTime(`${at}.time`, o.time);
  });
}

/** Milliseconds since the epoch of a proto timestamp, or `fallback` when unset. */
export function timeMs(time: Timestamp | undefined, fallback: number): number {
  if (time === undefined) return fallback;
  return Number(time.seconds) * 1000 + Math.floor(time.nanos / 1e6);
}
