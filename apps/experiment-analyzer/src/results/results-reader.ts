import { timestampMs } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';
import type { Store } from '@verdict/store';
import { INGEST_DEFAULTS } from '../ingest/options';
import { readAggregates, type FineSpan } from './aggregates';
import { computeResults, weightsChange } from './compute-results';
import { loadRunningMinimum } from './running-minimum';

/** Options of {@link createResultsReader}. */
export interface ResultsReaderOptions {
  /**
   * Window width the ingest writes with (must match its `windowMs`).
   * @default 3_600_000
   */
  windowMs?: number;
  /**
   * Rollup width the ingest writes with (must match its `rollupMs`).
   * @default 86_400_000
   */
  rollupMs?: number;
  /**
   * Fine window width and horizon the ingest writes with (must match its `fineWindowMs` and
   * `fineHorizonMs`): a range that ends inside a window during an experiment's first
   * `fineHorizonMs` counts the events before its end exactly.
   * @default 10_000 and 7_200_000
   */
  fineWindowMs?: number;
  fineHorizonMs?: number;
  /**
   * Clock for compute_time and an open range end.
   * @default () => new Date()
   */
  now?: () => Date;
}

/** Time range of results; windows overlapping it are included. */
export interface ResultsRange {
  start?: Date;
  end?: Date;
}

/** Computes an experiment's results from the aggregates in the Store. */
export interface ResultsReader {
  results(
    experiment: experimentsV1.Experiment,
    range?: ResultsRange,
  ): Promise<experimentsV1.Results>;
}

/** Creates the results reader. */
export function createResultsReader(
  store: Store,
  options: ResultsReaderOptions = {},
): ResultsReader {
  const widths = {
    windowMs: options.windowMs ?? INGEST_DEFAULTS.windowMs,
    rollupMs: options.rollupMs ?? INGEST_DEFAULTS.rollupMs,
  };
  if (
    !(Number.isSafeInteger(widths.windowMs) && widths.windowMs > 0) ||
    !(Number.isSafeInteger(widths.rollupMs) && widths.rollupMs % widths.windowMs === 0)
  ) {
    throw new InvalidArgumentError({
      field: 'options.rollupMs',
      expected: 'positive integer widths, rollupMs a multiple of windowMs (as the ingest writes)',
      received: `windowMs=${widths.windowMs} rollupMs=${widths.rollupMs}`,
    });
  }
  const fineWindowMs = options.fineWindowMs ?? INGEST_DEFAULTS.fineWindowMs;
  const fineHorizonMs = options.fineHorizonMs ?? INGEST_DEFAULTS.fineHorizonMs;
  const now = options.now ?? (() => new Date());
  /** The experiment's fine level: complete from the window of its start (see the ingest). */
  const fineOf = (experiment: experimentsV1.Experiment): FineSpan | undefined => {
    const started = experiment.startTime ?? experiment.createTime;
    if (started === undefined) return undefined;
    const startMs = timestampMs(started);
    return {
      windowMs: fineWindowMs,
      from: Math.floor(startMs / widths.windowMs) * widths.windowMs,
      until: startMs + fineHorizonMs,
    };
  };
  return {
    async results(experiment, range = {}) {
      const startMs = range.start?.getTime() ?? -8.64e15;
      const endMs = range.end?.getTime() ?? 8.64e15;
      if (!(startMs < endMs)) {
        throw new InvalidArgumentError({
          field: 'end_time',
          expected: 'a time after start_time',
          received: `${range.end?.toISOString()} (start ${range.start?.toISOString()})`,
        });
      }
      // Canaries and bandits are analysed per window (their weights change between windows).
      const periods = weightsChange(experiment);
      const aggregates = await readAggregates(
        store,
        experiment.id,
        { ...widths, fine: fineOf(experiment) },
        startMs,
        endMs,
        periods,
      );
      // The running minimum spans the whole experiment; a time range is a different estimand.
      const running =
        range.start === undefined && range.end === undefined
          ? await loadRunningMinimum(
              store,
              experiment.id,
              experiment.startTime === undefined ? 0 : timestampMs(experiment.startTime),
            )
          : undefined;
      const results = computeResults(experiment, aggregates, now(), running?.minima);
      await running?.save();
      return results;
    },
  };
}
