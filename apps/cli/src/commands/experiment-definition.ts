import { readFile } from 'node:fs/promises';
import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';
import { messageFromText } from './proto-document';
import { UsageError } from './usage-error';

export { UsageError };

/** Flags of `verdict experiment create` that define an experiment without a file. */
export interface DefinitionFlags {
  file?: string;
  name?: string;
  team?: string;
  model?: string;
  kind?: string;
  variant?: string[];
  control?: string;
  pool?: string;
  metric?: string;
  'metric-type'?: string;
  guardrail?: string[];
  method?: string;
  alpha?: string;
  'auto-apply'?: boolean;
  'unit-type'?: string;
  description?: string;
  interval?: string;
  'min-sample-size'?: string;
  'min-duration'?: string;
  'max-duration'?: string;
  shadow?: string[];
  'canary-step'?: string;
  'canary-max-weight'?: string;
}

/** Policy values of an experiment defined by flags, where a flag leaves them open. */
export const DEFINITION_DEFAULTS = {
  kind: 'ab',
  pool: 'default',
  method: 'sequential',
  alpha: 0.05,
  srmAlpha: 0.001,
  intervalMs: 60_000,
  minSampleSize: 100n,
  unitType: 'user',
  /** Tolerated absolute rise of error_rate over control. */
  errorRateDegradation: 0.01,
  /** Tolerated relative rise of a latency percentile over control's. */
  latencyDegradation: 0.2,
  /** Tolerated relative degradation of any other guardrail metric. */
  otherDegradation: 0.05,
} as const;

const FLAG_DEFINITION_KEYS: readonly (keyof DefinitionFlags)[] = [
  'name',
  'team',
  'model',
  'kind',
  'variant',
  'control',
  'metric',
  'metric-type',
  'guardrail',
  'method',
  'alpha',
  'auto-apply',
  'unit-type',
  'description',
  'interval',
  'min-sample-size',
  'min-duration',
  'max-duration',
  'shadow',
  'canary-step',
  'canary-max-weight',
];

/**
 * The experiment `verdict experiment create` sends: read from `--file` (the Experiment message
 * as proto3 JSON or YAML of the same shape) or built from flags; never both.
 */
export async function experimentDefinition(
  flags: DefinitionFlags,
): Promise<experimentsV1.Experiment> {
  if (flags.file !== undefined) {
    const mixed = FLAG_DEFINITION_KEYS.filter((key) => flags[key] !== undefined);
    if (mixed.length > 0) {
      throw new UsageError(
        `--file defines the whole experiment; leave out --${mixed.join(', --')} or put them in the file`,
      );
    }
    return experimentFromText(await readFile(flags.file, 'utf8'), flags.file);
  }
  return experimentFromFlags(flags);
}

/** Parses the Experiment message from proto3 JSON or YAML text; `source` names it in errors. */
export function experimentFromText(text: string, source: string): experimentsV1.Experiment {
  return messageFromText(experimentsV1.ExperimentSchema, text, source);
}

const KINDS: Record<string, experimentsV1.ExperimentKind> = {
  ab: experimentsV1.ExperimentKind.AB,
  canary: experimentsV1.ExperimentKind.CANARY,
  'blue-green': experimentsV1.ExperimentKind.BLUE_GREEN,
  shadow: experimentsV1.ExperimentKind.SHADOW,
  bandit: experimentsV1.ExperimentKind.BANDIT,
};

const METHODS: Record<string, experimentsV1.DecisionMethod> = {
  fixed: experimentsV1.DecisionMethod.FIXED,
  sequential: experimentsV1.DecisionMethod.SEQUENTIAL,
  bayesian: experimentsV1.DecisionMethod.BAYESIAN,
};

const METRIC_TYPES: Record<string, experimentsV1.MetricType> = {
  binary: experimentsV1.MetricType.BINARY,
  continuous: experimentsV1.MetricType.CONTINUOUS,
  ratio: experimentsV1.MetricType.RATIO,
};

/**
 * The primary metric of `--metric` and `--metric-type`: a ratio is written
 * NAME=NUMERATOR/DENOMINATOR (outcome names summed per unit), e.g.
 * `revenue_per_session=revenue/session`.
 */
export function parseMetric(
  value: string,
  type: experimentsV1.MetricType,
): { name: string; type: experimentsV1.MetricType; numerator?: string; denominator?: string } {
  if (type !== experimentsV1.MetricType.RATIO) return { name: value, type };
  const match = /^([^=/]+)=([^=/]+)\/([^=/]+)$/.exec(value);
  if (match === null) {
    throw new UsageError(
      `--metric: expected NAME=NUMERATOR/DENOMINATOR for --metric-type ratio, got "${value}"`,
    );
  }
  return { name: match[1], type, numerator: match[2], denominator: match[3] };
}

function choice<T>(flag: string, value: string, options: Record<string, T>): T {
  const found = options[value];
  if (found === undefined) {
    throw new UsageError(
      `--${flag}: expected one of ${Object.keys(options).join(', ')}, got "${value}"`,
    );
  }
  return found;
}

function required(flags: DefinitionFlags, key: 'name' | 'team' | 'model'): string {
  const value = flags[key];
  if (value === undefined || value === '') {
    throw new UsageError(`--${key}: required (or give the whole experiment with --file)`);
  }
  return value;
}

/** `NAME=VERSION[:WEIGHT]` or `NAME=@ALIAS[:WEIGHT]`; the weight defaults to 1. */
export function parseVariant(spec: string, pool: string, control: boolean): experimentsV1.Variant {
  const match =
    /^([A-Za-z0-9_.-]+)=(?:([1-9][0-9]*)|@([A-Za-z0-9_.-]+))(?::([0-9]+(?:\.[0-9]+)?))?$/.exec(
      spec,
    );
  if (match === null) {
    throw new UsageError(
      `--variant: expected NAME=VERSION[:WEIGHT] or NAME=@ALIAS[:WEIGHT] (e.g. control=1:50), got "${spec}"`,
    );
  }
  const [, name, version, alias, weight] = match;
  return create(experimentsV1.VariantSchema, {
    name,
    target:
      version !== undefined
        ? { case: 'version', value: BigInt(version) }
        : { case: 'alias', value: alias },
    pool,
    weight: weight === undefined ? 1 : Number(weight),
    role: control ? experimentsV1.VariantRole.CONTROL : experimentsV1.VariantRole.TREATMENT,
  });
}

/** `NAME=VERSION:RATE` or `NAME=@ALIAS:RATE`: a shadow variant copied RATE (0..1) of requests. */
export function parseShadow(spec: string, pool: string): experimentsV1.Variant {
  const match = /^([A-Za-z0-9_.-]+)=([^:]+):([0-9]+(?:\.[0-9]+)?)$/.exec(spec);
  const rate = match === null ? NaN : Number(match[3]);
  if (match === null || !(rate >= 0 && rate <= 1)) {
    throw new UsageError(
      `--shadow: expected NAME=VERSION:RATE or NAME=@ALIAS:RATE with RATE in [0, 1] (e.g. mirror=2:0.1), got "${spec}"`,
    );
  }
  let variant: experimentsV1.Variant;
  try {
    variant = parseVariant(`${match[1]}=${match[2]}`, pool, false);
  } catch {
    throw new UsageError(`--shadow: expected a version number or @ALIAS after "=", got "${spec}"`);
  }
  variant.role = experimentsV1.VariantRole.SHADOW;
  variant.weight = 0;
  variant.shadowSampleRate = rate;
  return variant;
}

/**
 * `NAME[:pNN][=MAX]`: `error_rate` (binary, absolute), `latency:p99` (latency percentile,
 * relative) or another outcome metric (continuous, relative); MAX is the tolerated degradation.
 */
export function parseGuardrail(spec: string): experimentsV1.Guardrail {
  const match = /^([A-Za-z0-9_.-]+)(?::p([0-9]+(?:\.[0-9]+)?))?(?:=([0-9]+(?:\.[0-9]+)?))?$/.exec(
    spec,
  );
  if (match === null) {
    throw new UsageError(
      `--guardrail: expected NAME[:pNN][=MAX_DEGRADATION] (e.g. error_rate=0.01, latency:p99=0.2), got "${spec}"`,
    );
  }
  const [, name, percentile, max] = match;
  const lower = experimentsV1.MetricDirection.LOWER_IS_BETTER;
  if (name === 'latency' || percentile !== undefined) {
    const p = Number(percentile ?? '99');
    if (!(p > 0 && p < 100)) {
      throw new UsageError(`--guardrail: expected a percentile in (0, 100), got "p${percentile}"`);
    }
    return create(experimentsV1.GuardrailSchema, {
      metric: { name, type: experimentsV1.MetricType.LATENCY, direction: lower, percentile: p },
      maxDegradation: max === undefined ? DEFINITION_DEFAULTS.latencyDegradation : Number(max),
      relative: true,
    });
  }
  if (name === 'error_rate') {
    return create(experimentsV1.GuardrailSchema, {
      metric: { name, type: experimentsV1.MetricType.BINARY, direction: lower },
      maxDegradation: max === undefined ? DEFINITION_DEFAULTS.errorRateDegradation : Number(max),
      relative: false,
    });
  }
  return create(experimentsV1.GuardrailSchema, {
    metric: {
      name,
      type: experimentsV1.MetricType.CONTINUOUS,
      direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
    },
    maxDegradation: max === undefined ? DEFINITION_DEFAULTS.otherDegradation : Number(max),
    relative: true,
  });
}

/** `250ms`, `30s`, `15m`, `2h`, `7d` -> milliseconds. */
export function parseDurationMs(flag: string, value: string): number {
  const match = /^([0-9]+)(ms|s|m|h|d)$/.exec(value);
  if (match === null) {
    throw new UsageError(`--${flag}: expected a duration like 30s, 15m, 2h or 7d, got "${value}"`);
  }
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2]]!;
  return Number(match[1]) * unit;
}

function parseProbability(flag: string, value: string): number {
  const number = Number(value);
  if (value.trim() === '' || !(number > 0 && number < 1)) {
    throw new UsageError(`--${flag}: expected a number in (0, 1), got "${value}"`);
  }
  return number;
}

/** The experiment described by flags (see EXPERIMENT_USAGE). */
export function experimentFromFlags(flags: DefinitionFlags): experimentsV1.Experiment {
  const name = required(flags, 'name');
  const team = required(flags, 'team');
  const model = required(flags, 'model');
  const specs = flags.variant ?? [];
  if (specs.length === 0 || specs.length + (flags.shadow ?? []).length < 2) {
    throw new UsageError(
      '--variant: expected at least two (or one and a --shadow), e.g. --variant control=1:50 --variant treatment=2:50',
    );
  }
  const pool = flags.pool ?? DEFINITION_DEFAULTS.pool;
  const controlName = flags.control ?? specs[0].split('=')[0];
  const variants = specs.map((spec) =>
    parseVariant(spec, pool, spec.split('=')[0] === controlName),
  );
  if (!variants.some((variant) => variant.name === controlName)) {
    throw new UsageError(
      `--control: expected one of the variant names ${variants.map((v) => v.name).join(', ')}, got "${controlName}"`,
    );
  }
  variants.push(...(flags.shadow ?? []).map((spec) => parseShadow(spec, pool)));
  const fraction = (flag: 'canary-step' | 'canary-max-weight') => {
    const value = flags[flag];
    if (value === undefined) return 0;
    const number = Number(value);
    if (value.trim() === '' || !(number > 0 && number <= 1)) {
      throw new UsageError(`--${flag}: expected a share of traffic in (0, 1], got "${value}"`);
    }
    return number;
  };
  const metricType = choice('metric-type', flags['metric-type'] ?? 'binary', METRIC_TYPES);
  const minSampleSize = flags['min-sample-size'];
  if (minSampleSize !== undefined && !/^[0-9]+$/.test(minSampleSize)) {
    throw new UsageError(`--min-sample-size: expected a whole number, got "${minSampleSize}"`);
  }
  return create(experimentsV1.ExperimentSchema, {
    name,
    team,
    model,
    kind: choice('kind', flags.kind ?? DEFINITION_DEFAULTS.kind, KINDS),
    variants,
    unitType: flags['unit-type'] ?? DEFINITION_DEFAULTS.unitType,
    description: flags.description ?? '',
    primaryMetric:
      flags.metric === undefined
        ? undefined
        : {
            ...parseMetric(flags.metric, metricType),
            direction: experimentsV1.MetricDirection.HIGHER_IS_BETTER,
          },
    guardrails: (flags.guardrail ?? []).map(parseGuardrail),
    policy: {
      interval: durationFromMs(
        flags.interval === undefined
          ? DEFINITION_DEFAULTS.intervalMs
          : parseDurationMs('interval', flags.interval),
      ),
      alpha:
        flags.alpha === undefined
          ? DEFINITION_DEFAULTS.alpha
          : parseProbability('alpha', flags.alpha),
      minSampleSize:
        minSampleSize === undefined ? DEFINITION_DEFAULTS.minSampleSize : BigInt(minSampleSize),
      minDuration:
        flags['min-duration'] === undefined
          ? undefined
          : durationFromMs(parseDurationMs('min-duration', flags['min-duration'])),
      maxDuration:
        flags['max-duration'] === undefined
          ? undefined
          : durationFromMs(parseDurationMs('max-duration', flags['max-duration'])),
      method: choice('method', flags.method ?? DEFINITION_DEFAULTS.method, METHODS),
      srmAlpha: DEFINITION_DEFAULTS.srmAlpha,
      canaryStep: fraction('canary-step'),
      canaryMaxWeight: fraction('canary-max-weight'),
      autoApply: flags['auto-apply'] === true,
    },
  });
}
