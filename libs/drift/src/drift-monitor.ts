import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from '@verdict/errors';
import type { driftV1 } from '@verdict/proto';
import { featureRow, isCategorical, type InputRow } from './reference-profile';
import {
  compareWindow,
  DEFAULT_DRIFT_THRESHOLDS,
  type DriftThresholds,
  type FeatureDrift,
} from './window-comparison';

/** When a drift alert is raised. */
export interface DriftMonitorOptions {
  readonly profile: driftV1.ReferenceProfile;
  /** Live rows compared with the reference at a time. @default 1000 */
  readonly windowRows?: number;
  /**
   * Rows between two evaluations once the first window is full: equal to windowRows for
   * back-to-back windows, smaller for overlapping (sliding) ones. @default windowRows
   */
  readonly stepRows?: number;
  /** Consecutive drifted windows before an alert: how long drift must persist. @default 3 */
  readonly persistWindows?: number;
  /** Least time between two alerts of this model version. @default one hour */
  readonly cooldownMs?: number;
  readonly thresholds?: DriftThresholds;
  readonly now?: () => number;
  /** Every evaluated window, drifted or not (for metrics and the dashboard). */
  readonly onWindow?: (window: DriftWindow) => void;
  /** A persistent drift past the cooldown. */
  readonly onAlert: (alert: DriftAlert) => void;
}

/** One evaluated window. */
export interface DriftWindow {
  readonly model: string;
  readonly version: string;
  /** When it was evaluated, in ms since the epoch. */
  readonly time: number;
  readonly rows: number;
  readonly features: readonly FeatureDrift[];
  /** Any feature drifted. */
  readonly drifted: boolean;
  /** Drifted windows in a row, this one included. */
  readonly consecutiveDrifted: number;
}

/** A drift that persisted: what the retraining trigger receives. */
export interface DriftAlert {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly time: number;
  /** Drifted windows in a row when it was raised. */
  readonly consecutiveDrifted: number;
  /** The features that drifted in the last window, with their figures. */
  readonly features: readonly FeatureDrift[];
}

/** Watches one model version's live inputs against its reference profile. */
export interface DriftMonitor {
  /**
   * Adds a sampled live row of the profile's input; evaluates a window when one is due. Throws
   * InvalidArgumentError for a row that lacks a feature or has one of the wrong kind, and
   * then adds nothing.
   */
  observe(row: InputRow): void;
  /** Throws InvalidArgumentError, naming `field`, for a row {@link observe} would refuse. */
  check(row: InputRow, field?: string): void;
  readonly profile: driftV1.ReferenceProfile;
  /** Rows waiting for the next evaluation. */
  pending(): number;
  /** Alerts raised so far, newest last. */
  alerts(): readonly DriftAlert[];
}

export function createDriftMonitor(options: DriftMonitorOptions): DriftMonitor {
  const windowRows = options.windowRows ?? 1000;
  const stepRows = options.stepRows ?? windowRows;
  const persistWindows = options.persistWindows ?? 3;
  const cooldownMs = options.cooldownMs ?? 3_600_000;
  const thresholds = options.thresholds ?? DEFAULT_DRIFT_THRESHOLDS;
  const now = options.now ?? Date.now;
  if (!(Number.isInteger(windowRows) && windowRows >= 2)) {
    throw new InvalidArgumentError({
      field: 'windowRows',
      expected: 'an integer >= 2',
      received: String(windowRows),
    });
  }
  if (!(Number.isInteger(stepRows) && stepRows >= 1 && stepRows <= windowRows)) {
    throw new InvalidArgumentError({
      field: 'stepRows',
      expected: `an integer in [1, ${windowRows}]`,
      received: String(stepRows),
    });
  }
  const { profile } = options;
  // A ring of the last windowRows rows, column by column.
  const ring = profile.features.map(() => new Array<number | string>(windowRows));
  let seen = 0;
  let next = 0;
  let consecutive = 0;
  let lastAlertAt = -Infinity;
  const raised: DriftAlert[] = [];

  function evaluate(): void {
    const columns = ring.map((values) => [...values.slice(next), ...values.slice(0, next)]);
    const features = compareWindow(profile, columns, thresholds);
    const drifted = features.some((feature) => feature.drifted);
    consecutive = drifted ? consecutive + 1 : 0;
    const time = now();
    options.onWindow?.({
      model: profile.model,
      version: profile.version,
      time,
      rows: windowRows,
      features,
      drifted,
      consecutiveDrifted: consecutive,
    });
    if (consecutive >= persistWindows && time - lastAlertAt >= cooldownMs) {
      lastAlertAt = time;
      const alert: DriftAlert = {
        id: randomUUID(),
        model: profile.model,
        version: profile.version,
        time,
        consecutiveDrifted: consecutive,
        features: features.filter((feature) => feature.drifted),
      };
      raised.push(alert);
      options.onAlert(alert);
    }
  }

  /** The row's feature values; throws InvalidArgumentError for a missing or wrong one. */
  function checkedValues(row: InputRow, field: string) {
    const values = featureRow(profile, row);
    values.forEach((value, i) => {
      const feature = profile.features[i];
      const ok = isCategorical(feature)
        ? typeof value === 'string'
        : typeof value === 'number' && Number.isFinite(value);
      if (!ok) {
        throw new InvalidArgumentError({
          field: `${field} (feature ${feature.name})`,
          expected: isCategorical(feature) ? 'a category (string)' : 'a finite number',
          received: String(value),
        });
      }
    });
    return values;
  }

  return {
    profile,
    check: (row, field = 'row') => void checkedValues(row, field),
    observe(row) {
      const values = checkedValues(row, 'row');
      values.forEach((value, column) => (ring[column][next] = value));
      next = (next + 1) % windowRows;
      seen++;
      // The first window is evaluated as soon as it is full, later ones every stepRows rows.
      if (seen >= windowRows && (seen - windowRows) % stepRows === 0) evaluate();
    },
    pending: () => (seen < windowRows ? seen : (seen - windowRows) % stepRows),
    alerts: () => raised,
  };
}
