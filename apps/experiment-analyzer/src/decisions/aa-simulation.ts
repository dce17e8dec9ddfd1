/**
 * Seeded A/A (and A/B) simulations through the analyzer's real decision path: hourly windows
 * of sufficient statistics are built the way ingest stores them, `computeResults` (with the
 * running minimum the results reader keeps) turns them into Results and `evaluatePolicy` into a
 * decision at every look; STEP decisions change the
 * weights the next units are assigned with, as the decision loop applies them. A run ends at
 * the first PROMOTE, ROLLBACK or NO_DIFFERENCE, or after `days`.
 */
import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { createRandom, type Random } from '@verdict/stats';
import { ERROR_RATE_METRIC, FIELD, UNITS_METRIC } from '../ingest/stat-keys';
import type { Aggregates, VariantMetrics } from '../results/aggregates';
import { computeResults } from '../results/compute-results';
import { evaluatePolicy } from './evaluate-policy';

const { DecisionAction, DecisionMethod, ExperimentKind, MetricType } = experimentsV1;

const HOUR = 3_600_000;
const START = Date.UTC(2026, 0, 5);

/** One simulated experiment design. */
export interface Scenario {
  readonly kind: 'ab' | 'canary' | 'bandit';
  readonly metric: 'proportion' | 'mean' | 'ratio';
  /** Base rate (or mean) moving over the month: a weekly cycle and a trend. */
  readonly drift: boolean;
  /** Relative effect of the treatment on its metric (0 for A/A). */
  readonly effect: number;
  readonly method: experimentsV1.DecisionMethod;
}

/** Options of {@link simulate}. */
export interface SimulationOptions {
  readonly replications: number;
  readonly seed: number;
  /** @default 30 */
  readonly days?: number;
  /** Hours between evaluations. @default 1 */
  readonly lookHours?: number;
  /** Units arriving per hour. @default 100 */
  readonly unitsPerHour?: number;
}

/** What happened over the replications. */
export interface SimulationOutcome {
  readonly replications: number;
  /** Runs that ended in PROMOTE or ROLLBACK. */
  readonly decided: number;
  readonly promotions: number;
  readonly rollbacks: number;
  /** ROLLBACKs for a sample-ratio mismatch. */
  readonly srmAlarms: number;
  /** Hours to the first PROMOTE, per promoted run. */
  readonly stoppingHours: number[];
}

const METRIC = 'm';

function experimentOf(s: Scenario): experimentsV1.Experiment {
  const type =
    s.metric === 'proportion'
      ? MetricType.BINARY
      : s.metric === 'ratio'
        ? MetricType.RATIO
        : MetricType.CONTINUOUS;
  return create(experimentsV1.ExperimentSchema, {
    id: `sim-${s.kind}-${s.metric}`,
    kind:
      s.kind === 'ab'
        ? ExperimentKind.AB
        : s.kind === 'canary'
          ? ExperimentKind.CANARY
          : ExperimentKind.BANDIT,
    state: experimentsV1.ExperimentState.RUNNING,
    variants: [
      { name: 'control', weight: s.kind === 'canary' ? 90 : 50, role: 1 },
      { name: 'treatment', weight: s.kind === 'canary' ? 10 : 50, role: 2 },
    ],
    primaryMetric: { name: METRIC, type },
    // Every policy value left at 0 takes the analyzer's defaults (alpha, SRM, minimums).
    policy: { method: s.method },
    startTime: timestampFromMs(START),
  });
}

/** Per-unit draws of one arm over one hour, added to a window's and the totals' fields. */
function addArm(
  target: VariantMetrics[],
  variant: string,
  units: number,
  hour: number,
  s: Scenario,
  random: Random,
  treated: boolean,
): void {
  const week = 1 + 0.3 * Math.sin((2 * Math.PI * hour) / (7 * 24)) + hour / (30 * 24);
  const level = s.drift ? week : 1;
  const lift = treated ? 1 + s.effect : 1;
  const f: Record<string, number> = {};
  const put = (metric: string, name: string, v: number) => (f[`${metric}\u0000${name}`] = v);
  put(UNITS_METRIC, FIELD.n, units);
  put(ERROR_RATE_METRIC, FIELD.n, units);
  put(ERROR_RATE_METRIC, FIELD.successes, random.binomial(units, 0.01));
  if (s.metric === 'proportion') {
    const successes = random.binomial(units, Math.min(1, 0.1 * level * lift));
    put(METRIC, FIELD.n, units);
    put(METRIC, FIELD.sum, successes);
    put(METRIC, FIELD.sumSquares, successes);
  } else {
    let sy = 0;
    let syy = 0;
    let sx = 0;
    let sxx = 0;
    let sxy = 0;
    for (let i = 0; i < units; i++) {
      // Revenue per unit (mean) or revenue over sessions of a unit (ratio): skewed, correlated.
      const x = s.metric === 'ratio' ? 1 + random.binomial(6, 0.3) : 1;
      const y = x * level * lift * Math.exp(0.8 * random.normal() - 0.32);
      sy += y;
      syy += y * y;
      sx += x;
      sxx += x * x;
      sxy += x * y;
    }
    put(METRIC, FIELD.n, units);
    put(METRIC, FIELD.sum, sy);
    put(METRIC, FIELD.sumSquares, syy);
    if (s.metric === 'ratio') {
      put(METRIC, FIELD.sumX, sx);
      put(METRIC, FIELD.sumXSquares, sxx);
      put(METRIC, FIELD.sumXY, sxy);
    }
  }
  for (const stats of target) {
    let metrics = stats.get(variant);
    if (metrics === undefined) stats.set(variant, (metrics = new Map()));
    for (const [key, v] of Object.entries(f)) {
      const [metric, name] = key.split('\u0000');
      let fields = metrics.get(metric);
      if (fields === undefined) metrics.set(metric, (fields = new Map()));
      fields.set(name, (fields.get(name) ?? 0) + v);
    }
  }
}

/** Runs `replications` experiments of one scenario and counts their decisions. */
export function simulate(scenario: Scenario, options: SimulationOptions): SimulationOutcome {
  const days = options.days ?? 30;
  const lookHours = options.lookHours ?? 1;
  const unitsPerHour = options.unitsPerHour ?? 100;
  const random = createRandom(options.seed);
  let promotions = 0;
  let rollbacks = 0;
  let srmAlarms = 0;
  const stoppingHours: number[] = [];
  for (let r = 0; r < options.replications; r++) {
    let experiment = experimentOf(scenario);
    // As the results reader keeps it between evaluations.
    const runningMinimum = new Map<string, number>();
    const totals: VariantMetrics = new Map();
    const byWindow = new Map<number, VariantMetrics>();
    const windows: number[] = [];
    for (let hour = 0; hour < days * 24; hour++) {
      const window = START + hour * HOUR;
      const stats: VariantMetrics = new Map();
      byWindow.set(window, stats);
      windows.push(window);
      const [c, t] = experiment.variants;
      const share = t.weight / (c.weight + t.weight);
      const treated = random.binomial(unitsPerHour, share);
      addArm([totals, stats], 'control', unitsPerHour - treated, hour, scenario, random, false);
      addArm([totals, stats], 'treatment', treated, hour, scenario, random, true);
      for (const [name, expected] of [
        ['control', unitsPerHour * (1 - share)],
        ['treatment', unitsPerHour * share],
      ] as const) {
        for (const target of [totals, stats]) {
          const fields = target.get(name)!.get(UNITS_METRIC)!;
          fields.set(FIELD.expected, (fields.get(FIELD.expected) ?? 0) + expected);
        }
      }
      if ((hour + 1) % lookHours !== 0) continue;
      const now = new Date(window + HOUR);
      const aggregates: Aggregates = { windows, totals, byWindow, shadowMax: new Map() };
      const results = computeResults(experiment, aggregates, now, runningMinimum);
      const draft = evaluatePolicy(experiment, results, now);
      if (draft.action === DecisionAction.PROMOTE) {
        promotions++;
        stoppingHours.push(hour + 1);
        break;
      }
      if (draft.action === DecisionAction.ROLLBACK) {
        rollbacks++;
        if (draft.reason.startsWith('Sample ratio mismatch')) srmAlarms++;
        break;
      }
      if (draft.action === DecisionAction.NO_DIFFERENCE) break;
      if (draft.action === DecisionAction.STEP && draft.weights !== undefined) {
        const weights = draft.weights;
        experiment = create(experimentsV1.ExperimentSchema, {
          ...experiment,
          variants: experiment.variants.map((v) => ({ ...v, weight: weights[v.name] ?? v.weight })),
        });
      }
    }
  }
  return {
    replications: options.replications,
    decided: promotions + rollbacks,
    promotions,
    rollbacks,
    srmAlarms,
    stoppingHours,
  };
}

/** Wilson 95% interval of a rate, for Monte Carlo error. */
export function wilson(successes: number, n: number): [number, number] {
  const z = 1.959963984540054;
  const p = successes / n;
  const center = (p + (z * z) / (2 * n)) / (1 + (z * z) / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + (z * z) / (4 * n * n))) / (1 + (z * z) / n);
  return [Math.max(0, center - half), Math.min(1, center + half)];
}

/** The scenarios of the A/A acceptance run: every kind, metric and drift, by the given method. */
export function aaScenarios(method = DecisionMethod.SEQUENTIAL): Scenario[] {
  const out: Scenario[] = [];
  for (const kind of ['ab', 'canary', 'bandit'] as const) {
    for (const metric of ['proportion', 'mean', 'ratio'] as const) {
      for (const drift of [false, true]) out.push({ kind, metric, drift, effect: 0, method });
    }
  }
  return out;
}
