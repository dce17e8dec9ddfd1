import { createHash } from 'node:crypto';
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import type { AuditSink } from '@verdict/audit-client';
import { AlreadyExistsError, InvalidArgumentError, NotFoundError } from '@verdict/errors';
import type { ServiceImpl } from '@verdict/grpc-kit';
import { auditV1, driftV1 } from '@verdict/proto';
import type { Store } from '@verdict/store';
import { Counter, Gauge, type Registry } from '@verdict/telemetry';
import {
  createDriftMonitor,
  type DriftAlert,
  type DriftMonitor,
  type DriftWindow,
} from '@verdict/drift';
import { checkProfile, isCategorical, type InputRow } from '@verdict/drift';
import type { RetrainingTrigger } from '@verdict/drift';
import { DEFAULT_DRIFT_THRESHOLDS, type DriftThresholds, type FeatureDrift } from '@verdict/drift';

/** Windows kept per model version for GetDriftStatus and the dashboard. */
export const KEPT_WINDOWS = 200;

/** Store keys: profiles by model and version, alerts by time. */
const PROFILE_PREFIX = 'drift/profiles/';
const ALERT_PREFIX = 'drift/alerts/';

/** How the analyzer watches drift. */
export interface DriftSettings {
  readonly windowRows: number;
  readonly stepRows: number;
  readonly persistWindows: number;
  readonly cooldownMs: number;
  readonly thresholds: DriftThresholds;
}

export const DEFAULT_DRIFT_SETTINGS: DriftSettings = {
  windowRows: 500,
  stepRows: 500,
  persistWindows: 3,
  cooldownMs: 3_600_000,
  thresholds: DEFAULT_DRIFT_THRESHOLDS,
};

export interface DriftServiceOptions {
  readonly store: Store;
  readonly triggers: ReadonlyArray<{ name: string; trigger: RetrainingTrigger }>;
  readonly audit?: AuditSink;
  /** The analyzer's own identity, the actor of alert records. */
  readonly actor: string;
  readonly metrics: Registry;
  readonly logger: {
    info(o: object, m: string): void;
    warn(o: object, m: string): void;
    error(o: object, m: string): void;
  };
  readonly settings?: Partial<DriftSettings>;
  readonly now?: () => number;
}

/** A point of a feature's PSI series, for the dashboard. */
export interface DriftPoint {
  readonly time: number;
  readonly version: string;
  readonly feature: string;
  readonly psi: number;
  readonly drifted: boolean;
}

export interface DriftService {
  readonly impl: ServiceImpl<typeof driftV1.DriftService.method>;
  /** PSI per feature over time for every monitored version of a model, oldest first. */
  series(model: string): DriftPoint[];
  /** Resolves once every alert raised so far has been delivered (or has failed for good). */
  settled(): Promise<void>;
}

function profileKey(model: string, version: string): string {
  return `${PROFILE_PREFIX}${model}/${version}`;
}

function toTimestamp(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

function featureMessage(
  feature: FeatureDrift,
): MessageInitShape<typeof driftV1.FeatureDriftSchema> {
  return {
    feature: feature.feature,
    psi: feature.psi,
    statistic: feature.statistic,
    pValue: feature.pValue,
    adjustedPValue: feature.adjustedPValue,
    drifted: feature.drifted,
  };
}

/**
 * DriftService: stores reference profiles (immutable, in the Store), feeds sampled rows to one
 * monitor per model version, keeps its latest windows in memory, and turns persistent drift
 * into an alert that is stored, audited, counted and sent to every retraining trigger.
 */
export function createDriftService(options: DriftServiceOptions): DriftService {
  const settings = { ...DEFAULT_DRIFT_SETTINGS, ...options.settings };
  const now = options.now ?? Date.now;
  const monitors = new Map<
    string,
    { model: string; version: string; monitor: DriftMonitor; windows: DriftWindow[] }
  >();
  /** Model versions known to have no profile, so samples do not read the Store each time. */
  const unmonitored = new Set<string>();
  const deliveries = new Set<Promise<void>>();

  const alertsTotal = new Counter({
    name: 'verdict_drift_alerts_total',
    help: 'Drift alerts raised, by model and version.',
    labelNames: ['model', 'version'],
    registers: [options.metrics],
  });
  const featurePsi = new Gauge({
    name: 'verdict_drift_feature_psi',
    help: 'PSI of each monitored feature in the latest window.',
    labelNames: ['model', 'version', 'feature'],
    registers: [options.metrics],
  });
  const samplesTotal = new Counter({
    name: 'verdict_drift_samples_total',
    help: 'Sampled input rows received, by outcome (monitored, unmonitored).',
    labelNames: ['outcome'],
    registers: [options.metrics],
  });
  const deliveryFailures = new Counter({
    name: 'verdict_drift_trigger_failures_total',
    help: 'Alerts a retraining trigger could not take after every retry.',
    labelNames: ['trigger'],
    registers: [options.metrics],
  });

  async function loadProfile(model: string, version: string) {
    const entry = await options.store.get(profileKey(model, version));
    return entry === undefined
      ? undefined
      : fromBinary(driftV1.ReferenceProfileSchema, entry.value);
  }

  async function monitorOf(model: string, version: string) {
    const key = JSON.stringify([model, version]);
    const existing = monitors.get(key);
    if (existing !== undefined || unmonitored.has(key)) return existing;
    const profile = await loadProfile(model, version);
    if (profile === undefined) {
      unmonitored.add(key);
      return undefined;
    }
    // Another call may have created it while the profile was read.
    const raced = monitors.get(key);
    if (raced !== undefined) return raced;
    const windows: DriftWindow[] = [];
    const monitor = createDriftMonitor({
      profile,
      ...settings,
      now,
      onWindow(window) {
        windows.push(window);
        if (windows.length > KEPT_WINDOWS) windows.shift();
        for (const feature of window.features) {
          featurePsi.set({ model, version, feature: feature.feature }, feature.psi);
        }
      },
      onAlert: (alert) => void raise(alert),
    });
    const created = { model, version, monitor, windows };
    monitors.set(key, created);
    return created;
  }

  function alertMessage(alert: DriftAlert, deliveredTo: string[]) {
    return create(driftV1.DriftAlertSchema, {
      id: alert.id,
      model: alert.model,
      version: alert.version,
      time: toTimestamp(alert.time),
      consecutiveDrifted: alert.consecutiveDrifted,
      features: alert.features.map(featureMessage),
      deliveredTo,
    });
  }

  async function raise(alert: DriftAlert): Promise<void> {
    alertsTotal.inc({ model: alert.model, version: alert.version });
    const key = `${ALERT_PREFIX}${String(alert.time).padStart(15, '0')}-${alert.id}`;
    const deliveredTo: string[] = [];
    const save = () =>
      options.store.put(key, toBinary(driftV1.DriftAlertSchema, alertMessage(alert, deliveredTo)));
    options.logger.warn(
      {
        model: alert.model,
        version: alert.version,
        features: alert.features.map((f) => f.feature),
      },
      'drift alert',
    );
    options.audit?.record({
      actor: options.actor,
      action: 'drift.alert',
      resource: `model/${alert.model}/version/${alert.version}`,
      outcome: auditV1.Outcome.SUCCESS,
      details: {
        alert_id: alert.id,
        features: alert.features.map((f) => `${f.feature} psi=${f.psi.toFixed(3)}`).join('; '),
      },
    });
    const delivery = (async () => {
      await save();
      await Promise.all(
        options.triggers.map(async ({ name, trigger }) => {
          try {
            await trigger.fire(alert);
            deliveredTo.push(name);
            await save();
          } catch (error) {
            deliveryFailures.inc({ trigger: name });
            options.logger.error(
              { err: error, trigger: name, alert: alert.id },
              'retraining trigger failed after retries',
            );
          }
        }),
      );
    })();
    deliveries.add(delivery);
    await delivery.finally(() => deliveries.delete(delivery));
  }

  const impl: ServiceImpl<typeof driftV1.DriftService.method> = {
    async putReferenceProfile(request) {
      checkProfile(request.profile);
      const profile = request.profile;
      const bytes = toBinary(driftV1.ReferenceProfileSchema, profile);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const key = profileKey(profile.model, profile.version);
      const existing = await options.store.get(key);
      if (existing !== undefined) {
        const existingSha = createHash('sha256').update(existing.value).digest('hex');
        if (existingSha !== sha256) {
          // Profiles are immutable: the same one again is fine, a different one is refused.
          throw new AlreadyExistsError({
            kind: 'a different reference profile',
            resource: `${profile.model}:${profile.version}`,
          });
        }
        return { profile, sha256 };
      }
      await options.store.put(key, bytes, { expectedVersion: 0 });
      unmonitored.delete(JSON.stringify([profile.model, profile.version]));
      options.audit?.record({
        actor: options.actor,
        action: 'drift.profile.put',
        resource: `model/${profile.model}/version/${profile.version}`,
        outcome: auditV1.Outcome.SUCCESS,
        details: { sha256, features: String(profile.features.length), rows: String(profile.rows) },
      });
      return { profile, sha256 };
    },

    async getReferenceProfile(request) {
      const profile = await loadProfile(request.model, request.version);
      if (profile === undefined) {
        throw new NotFoundError({
          kind: 'reference profile',
          resource: `${request.model}:${request.version}`,
        });
      }
      return { profile };
    },

    async recordInputSamples(request) {
      // Validate every sample before adding any, so a bad batch changes nothing.
      const rows: Array<{
        entry: Awaited<ReturnType<typeof monitorOf>>;
        row: InputRow;
        index: number;
      }> = [];
      let unmonitoredCount = 0;
      for (const [index, sample] of request.samples.entries()) {
        if (sample.model === '' || sample.version === '') {
          throw new InvalidArgumentError({
            field: `samples[${index}].${sample.model === '' ? 'model' : 'version'}`,
            expected: 'a model name and version',
            received: 'empty',
          });
        }
        const entry = await monitorOf(sample.model, sample.version);
        if (entry === undefined) {
          unmonitoredCount++;
          continue;
        }
        const profile = entry.monitor.profile;
        if (sample.input !== profile.features[0].input) {
          throw new InvalidArgumentError({
            field: `samples[${index}].input`,
            expected: `"${profile.features[0].input}", the input the profile describes`,
            received: JSON.stringify(sample.input),
          });
        }
        const row = isCategorical(profile.features[0]) ? sample.strings : sample.values;
        entry.monitor.check(row, `samples[${index}]`);
        rows.push({ entry, row, index });
      }
      for (const { entry, row } of rows) entry!.monitor.observe(row);
      samplesTotal.inc({ outcome: 'monitored' }, rows.length);
      samplesTotal.inc({ outcome: 'unmonitored' }, unmonitoredCount);
      return { acceptedCount: BigInt(rows.length), unmonitoredCount: BigInt(unmonitoredCount) };
    },

    async getDriftStatus(request) {
      const entry = await monitorOf(request.model, request.version);
      if (entry === undefined) {
        throw new NotFoundError({
          kind: 'reference profile',
          resource: `${request.model}:${request.version}`,
        });
      }
      const { monitor, windows } = entry;
      return {
        profileSummary: {
          ...monitor.profile,
          features: monitor.profile.features.map((f) => ({ ...f, sample: [] })),
        },
        windows: windows.map((window) => ({
          time: toTimestamp(window.time),
          rows: BigInt(window.rows),
          features: window.features.map(featureMessage),
          drifted: window.drifted,
          consecutiveDrifted: window.consecutiveDrifted,
        })),
        pendingRows: BigInt(monitor.pending()),
      };
    },

    async listDriftAlerts(request) {
      const pageSize = request.pageSize === 0 ? 50 : Math.min(request.pageSize, 500);
      // Newest first: scan in key (time) order and take from the end.
      const all = await options.store.scan(ALERT_PREFIX);
      const alerts = all
        .map((entry) => ({
          key: entry.key,
          alert: fromBinary(driftV1.DriftAlertSchema, entry.value),
        }))
        .filter(({ alert }) => request.model === '' || alert.model === request.model)
        .reverse();
      const start =
        request.pageToken === '' ? 0 : alerts.findIndex(({ key }) => key < request.pageToken);
      const page = start < 0 ? [] : alerts.slice(start, start + pageSize);
      const more = start >= 0 && start + pageSize < alerts.length;
      return {
        alerts: page.map(({ alert }) => alert),
        nextPageToken: more ? page[page.length - 1].key : '',
      };
    },
  };

  return {
    impl,
    series(model) {
      const points: DriftPoint[] = [];
      for (const { model: name, version, windows } of monitors.values()) {
        if (name !== model) continue;
        for (const window of windows) {
          for (const feature of window.features) {
            points.push({
              time: window.time,
              version,
              feature: feature.feature,
              psi: feature.psi,
              drifted: feature.drifted,
            });
          }
        }
      }
      return points.sort((a, b) => a.time - b.time);
    },
    async settled() {
      while (deliveries.size > 0) await Promise.all([...deliveries]);
    },
  };
}
