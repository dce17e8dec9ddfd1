import { toJson } from '@bufbuild/protobuf';
import { durationMs, type Duration } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { formatTable, formatTime } from './model-format';

/** Enum names as protobuf-es generates them (prefix already stripped), lower case, `_` -> `-`. */
function plain(names: Record<number, string>, value: number): string {
  return (names[value] ?? String(value)).toLowerCase().replace(/_/g, '-');
}

export const stateOf = (state: experimentsV1.ExperimentState) =>
  plain(experimentsV1.ExperimentState, state);
export const kindOf = (kind: experimentsV1.ExperimentKind) =>
  plain(experimentsV1.ExperimentKind, kind);
export const roleOf = (role: experimentsV1.VariantRole) => plain(experimentsV1.VariantRole, role);
export const actionOf = (action: experimentsV1.DecisionAction) =>
  plain(experimentsV1.DecisionAction, action);
export const methodOf = (method: experimentsV1.DecisionMethod) =>
  plain(experimentsV1.DecisionMethod, method);

/** Zeros and empty lists are printed too, so scripts find every field. */
const ALL = { alwaysEmitImplicit: true } as const;

/** Proto JSON (int64 as strings, enums by name) of experiment messages, for `--json`. */
export const experimentJson = {
  experiment: (e: experimentsV1.Experiment) => toJson(experimentsV1.ExperimentSchema, e, ALL),
  decision: (d: experimentsV1.Decision) => toJson(experimentsV1.DecisionSchema, d, ALL),
  results: (r: experimentsV1.Results) => toJson(experimentsV1.ResultsSchema, r, ALL),
  table: (t: experimentsV1.RoutingTable) => toJson(experimentsV1.RoutingTableSchema, t, ALL),
};

/** `v2` for a version, `@prod` for an alias. */
export function targetOf(target: experimentsV1.Variant['target']): string {
  if (target.case === 'version') return `v${target.value}`;
  if (target.case === 'alias') return `@${target.value}`;
  return '-';
}

/** A share in [0, 1] as a percentage with one decimal. */
export const percent = (share: number) => `${(share * 100).toFixed(1)}%`;

/** Configured shares of the answering variants, normalised to sum 1 (shadows get none). */
export function configuredShares(experiment: experimentsV1.Experiment): Map<string, number> {
  const answering = experiment.variants.filter((v) => v.role !== experimentsV1.VariantRole.SHADOW);
  const total = answering.reduce((sum, v) => sum + v.weight, 0);
  return new Map(answering.map((v) => [v.name, total > 0 ? v.weight / total : 0]));
}

/** `control v1 50% | treatment v2 50%`. */
export function variantSummary(experiment: experimentsV1.Experiment): string {
  const shares = configuredShares(experiment);
  return experiment.variants
    .map((v) =>
      v.role === experimentsV1.VariantRole.SHADOW
        ? `${v.name} ${targetOf(v.target)} shadow ${percent(v.shadowSampleRate)}`
        : `${v.name} ${targetOf(v.target)} ${percent(shares.get(v.name) ?? 0)}`,
    )
    .join(' | ');
}

/** One row per experiment for `verdict experiment list`. */
export function listTable(experiments: readonly experimentsV1.Experiment[]): string {
  return formatTable(
    ['ID', 'NAME', 'MODEL', 'KIND', 'STATE', 'VARIANTS', 'CREATED'],
    experiments.map((e) => [
      e.id,
      e.name,
      e.model,
      kindOf(e.kind),
      stateOf(e.state),
      variantSummary(e),
      formatTime(e.createTime),
    ]),
  );
}

/** `90s`, `10m`, `14d`: the largest unit that divides the duration. */
export function formatDuration(d: Duration | undefined): string {
  if (d === undefined) return '-';
  const ms = durationMs(d);
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

const duration = formatDuration;

function metricText(metric: experimentsV1.MetricSpec | undefined): string {
  if (metric === undefined) return '-';
  const type = plain(experimentsV1.MetricType, metric.type);
  const p = metric.type === experimentsV1.MetricType.LATENCY ? ` p${metric.percentile}` : '';
  return `${metric.name} (${type}${p}, ${plain(experimentsV1.MetricDirection, metric.direction)})`;
}

/** Fields, variants and decisions of one experiment for `verdict experiment show`. */
export function showText(
  e: experimentsV1.Experiment,
  decisions: readonly experimentsV1.Decision[],
): string {
  const policy = e.policy;
  const fields = formatTable(
    ['FIELD', 'VALUE'],
    [
      ['id', e.id],
      ['name', e.name],
      ['team', e.team],
      ['model', e.model],
      ['kind', kindOf(e.kind)],
      ['state', stateOf(e.state)],
      ['version', String(e.version)],
      ['unit', `${e.unitType || '-'}${e.unitParameter ? ` (parameter ${e.unitParameter})` : ''}`],
      ['salt', e.salt || '-'],
      [
        'layer',
        e.layer ? `${e.layer} [${e.layerRange?.start ?? 0}, ${e.layerRange?.end ?? 10000})` : '-',
      ],
      ['targeting', e.targeting.length === 0 ? '-' : `${e.targeting.length} rule(s)`],
      ['primary metric', metricText(e.primaryMetric)],
      ['secondary', e.secondaryMetrics.map(metricText).join(', ') || '-'],
      [
        'guardrails',
        e.guardrails
          .map(
            (g) =>
              `${metricText(g.metric)} max ${g.relative ? percent(g.maxDegradation) : g.maxDegradation}`,
          )
          .join(', ') || '-',
      ],
      [
        'policy',
        policy === undefined
          ? '-'
          : `${methodOf(policy.method)} alpha ${policy.alpha}, every ${duration(policy.interval)}, ` +
            `min n ${policy.minSampleSize}, min ${duration(policy.minDuration)}, max ${duration(policy.maxDuration)}, ` +
            `auto-apply ${policy.autoApply ? 'on' : 'off'}`,
      ],
      ['failover to control', e.failoverToControl ? 'yes' : 'no'],
      ['created', `${formatTime(e.createTime)} by ${e.createdBy || '-'}`],
      ['started', formatTime(e.startTime)],
      ['ended', formatTime(e.endTime)],
      ['winner', e.winner || '-'],
      ['description', e.description || '-'],
    ],
  );
  const shares = configuredShares(e);
  const variants = formatTable(
    ['VARIANT', 'ROLE', 'TARGET', 'POOL', 'WEIGHT', 'SHARE'],
    e.variants.map((v) => [
      v.name,
      roleOf(v.role),
      targetOf(v.target),
      v.pool || '-',
      String(v.weight),
      v.role === experimentsV1.VariantRole.SHADOW
        ? `copies ${percent(v.shadowSampleRate)}`
        : percent(shares.get(v.name) ?? 0),
    ]),
  );
  const decisionRows = formatTable(
    ['TIME', 'ACTION', 'VARIANT', 'APPLIED', 'BY', 'REASON'],
    decisions.map((d) => [
      formatTime(d.time),
      actionOf(d.action),
      d.variant || '-',
      d.applied ? 'yes' : 'no',
      d.actor || '-',
      d.reason,
    ]),
  );
  return `${fields}\n${variants}\nDecisions (newest first):\n${decisionRows}`;
}

/** A number for a table: up to 4 significant digits, or `-` when not finite. */
export function num(value: number): string {
  if (!Number.isFinite(value)) return '-';
  if (value !== 0 && Math.abs(value) < 1e-3) return value.toExponential(2);
  return String(Number(value.toPrecision(4)));
}

const interval = (i: experimentsV1.Interval | undefined) =>
  i === undefined ? '-' : `[${num(i.lower)}, ${num(i.upper)}]`;

const signedPercent = (share: number) =>
  Number.isFinite(share) ? `${share >= 0 ? '+' : ''}${(share * 100).toFixed(2)}%` : '-';

const percentInterval = (i: experimentsV1.Interval | undefined) =>
  i === undefined ? '-' : `[${signedPercent(i.lower)}, ${signedPercent(i.upper)}]`;

/** A p-value to read: `<0.0001` below that, else 4 decimals. */
const pValue = (p: number) => (!Number.isFinite(p) ? '-' : p < 1e-4 ? '<0.0001' : p.toFixed(4));

/**
 * `verdict experiment results`: per variant its traffic, per variant and metric the estimate,
 * interval, lift against control with its interval, p-value, chance to beat control and
 * significance; then the sample-ratio-mismatch check and the shadow comparisons.
 */
export function resultsText(results: experimentsV1.Results): string {
  const header =
    `experiment ${results.experimentId} (version ${results.experimentVersion}), ` +
    `${methodOf(results.method)} at alpha ${results.alpha}, computed ${formatTime(results.computeTime)}\n\n`;
  const traffic = formatTable(
    ['VARIANT', 'UNITS', 'REQUESTS', 'CONFIGURED', 'OBSERVED'],
    results.variants.map((v) => [
      v.variant,
      String(v.units),
      String(v.requests),
      percent(v.expectedShare),
      percent(v.observedShare),
    ]),
  );
  const control = results.variants[0]?.variant;
  // The analyzer computes the chance to beat control for the Bayesian method; otherwise it
  // leaves 0, which would read as "certainly worse".
  const chanceKnown = (m: experimentsV1.MetricResult) =>
    results.method === experimentsV1.DecisionMethod.BAYESIAN || m.chanceToBeatControl !== 0;
  const metrics = formatTable(
    [
      'VARIANT',
      'METRIC',
      'N',
      'MEAN',
      'CI',
      'LIFT',
      'LIFT CI',
      'P',
      'P(BEAT CONTROL)',
      'SIGNIFICANT',
    ],
    results.variants.flatMap((v) =>
      v.metrics.map((m) => {
        const isControl = v.variant === control;
        return [
          v.variant,
          m.metric,
          String(m.n),
          num(m.mean),
          interval(m.ci),
          isControl ? '-' : signedPercent(m.lift),
          isControl ? '-' : percentInterval(m.liftCi),
          isControl ? '-' : pValue(m.pValue),
          isControl || !chanceKnown(m) ? '-' : percent(m.chanceToBeatControl),
          isControl ? '-' : m.significant ? 'yes' : 'no',
        ];
      }),
    ),
  );
  const srm = results.srm;
  const srmLine =
    srm === undefined
      ? 'SRM: not computed\n'
      : `SRM: chi2 ${num(srm.chiSquare)}, p ${pValue(srm.pValue)}, ` +
        `${srm.mismatch ? 'MISMATCH (observed split differs from the configured weights)' : 'ok'}\n`;
  const shadows =
    results.shadows.length === 0
      ? ''
      : `\nShadows:\n${formatTable(
          [
            'SHADOW',
            'COMPARED',
            'AGREEMENT',
            'AGREEMENT CI',
            'MEAN |DIFF|',
            'MAX |DIFF|',
            'LATENCY DIFF US',
            'LATENCY CI',
            'ERRORS',
          ],
          results.shadows.map((s) => [
            s.variant,
            String(s.comparisons),
            percent(s.agreementRate),
            interval(s.agreementCi),
            num(s.meanAbsDiff),
            num(s.maxAbsDiff),
            num(s.meanLatencyDiffUs),
            interval(s.latencyDiffCi),
            percent(s.shadowErrorRate),
          ]),
        )}`;
  return `${header}${traffic}\n${metrics}\n${srmLine}${shadows}`;
}
