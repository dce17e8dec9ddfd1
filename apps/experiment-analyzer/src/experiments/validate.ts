import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { InvalidArgumentError } from '@verdict/errors';
import { experimentsV1 } from '@verdict/proto';

type Experiment = experimentsV1.Experiment;
type MetricSpec = experimentsV1.MetricSpec;

const { ExperimentKind, VariantRole, TargetingOp, AttributeSource, MetricType } = experimentsV1;

/** Buckets of the unit hash: ranges lie in [0, BUCKETS). */
export const BUCKETS = 10_000;

// DNS-label-like, as the registry names models and teams.
const LABEL = /^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/;
// Variant, metric and layer names: letters, digits, '.', '_', '-', starting with a letter or digit.
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/;

/** Limits and defaults of experiment definitions. */
export const LIMITS = {
  nameChars: 100,
  descriptionChars: 4000,
  saltChars: 64,
  unitChars: 128,
  variants: 16,
  targetingRules: 32,
  ruleValues: 256,
  metrics: 32,
} as const;

/** Policy values filled in when a definition leaves them at zero. */
export const POLICY_DEFAULTS = {
  intervalMs: 60_000,
  alpha: 0.05,
  srmAlpha: 0.001,
  method: experimentsV1.DecisionMethod.SEQUENTIAL,
  canaryStep: 0.1,
  canaryMaxWeight: 0.5,
  banditMinWeight: 0.05,
} as const;

function invalid(field: string, expected: string, received: unknown): never {
  const text =
    typeof received === 'string' ? JSON.stringify(received.slice(0, 80)) : String(received);
  throw new InvalidArgumentError({ field, expected, received: text });
}

function checkText(field: string, value: string, max: number, required: boolean): void {
  if (required && value.trim() === '') invalid(field, 'a non-empty value', value);
  if (value.length > max) invalid(field, `at most ${max} characters`, `${value.length} characters`);
  if (CONTROL_CHARACTERS.test(value)) invalid(field, 'no control characters', value);
}

function checkFinite(field: string, value: number, min: number, max: number, what: string): void {
  if (!Number.isFinite(value) || value < min || value > max) invalid(field, what, value);
}

/** Checks a DNS-label name (model, team). @throws InvalidArgumentError naming the field */
export function checkLabel(field: string, value: string): void {
  if (!LABEL.test(value)) {
    invalid(
      field,
      "a DNS label: 1-63 lower-case letters, digits or '-', starting with a letter and not ending in '-'",
      value,
    );
  }
}

function checkName(field: string, value: string): void {
  if (!NAME.test(value)) {
    invalid(field, "1-63 letters, digits, '.', '_' or '-', starting with a letter or digit", value);
  }
}

function durationMs(duration: { seconds: bigint; nanos: number } | undefined): number {
  if (duration === undefined) return 0;
  return Number(duration.seconds) * 1000 + duration.nanos / 1e6;
}

function checkDuration(field: string, duration: { seconds: bigint; nanos: number } | undefined) {
  if (duration === undefined) return;
  if (duration.seconds < 0n || duration.nanos < 0 || duration.nanos >= 1e9) {
    invalid(field, 'a non-negative duration', `${duration.seconds}s ${duration.nanos}ns`);
  }
}

function checkMetric(field: string, metric: MetricSpec | undefined): void {
  if (metric === undefined) invalid(field, 'a metric', 'none');
  checkName(`${field}.name`, metric.name);
  if (!(metric.type in MetricType) || metric.type === MetricType.UNSPECIFIED) {
    invalid(`${field}.type`, 'BINARY, CONTINUOUS, LATENCY or RATIO', metric.type);
  }
  if (metric.type === MetricType.RATIO) {
    checkName(`${field}.numerator`, metric.numerator);
    checkName(`${field}.denominator`, metric.denominator);
    if (metric.numerator === metric.denominator) {
      invalid(`${field}.denominator`, 'an outcome other than the numerator', metric.denominator);
    }
  } else if (metric.numerator !== '' || metric.denominator !== '') {
    invalid(`${field}.numerator`, 'empty for a metric that is not a ratio', metric.numerator);
  }
  const directions = experimentsV1.MetricDirection;
  if (
    metric.direction !== directions.HIGHER_IS_BETTER &&
    metric.direction !== directions.LOWER_IS_BETTER
  ) {
    invalid(`${field}.direction`, 'HIGHER_IS_BETTER or LOWER_IS_BETTER', metric.direction);
  }
  if (metric.type === MetricType.LATENCY) {
    if (!(metric.percentile > 0 && metric.percentile < 100)) {
      invalid(
        `${field}.percentile`,
        'a percentile in (0, 100) for a latency metric',
        metric.percentile,
      );
    }
  } else if (metric.percentile !== 0) {
    invalid(`${field}.percentile`, '0 for a metric that is not a latency', metric.percentile);
  }
  if (metric.covariate !== '') checkName(`${field}.covariate`, metric.covariate);
}

function checkVariants(experiment: Experiment, pools: ReadonlySet<string>): void {
  const variants = experiment.variants;
  if (variants.length < 2 || variants.length > LIMITS.variants) {
    invalid('experiment.variants', `2 to ${LIMITS.variants} variants`, `${variants.length}`);
  }
  const names = new Set<string>();
  let controls = 0;
  let shadows = 0;
  let answeringWeight = 0;
  variants.forEach((variant, index) => {
    const field = `experiment.variants[${index}]`;
    checkName(`${field}.name`, variant.name);
    if (names.has(variant.name))
      invalid(`${field}.name`, 'a name unique in the experiment', variant.name);
    names.add(variant.name);
    if (variant.target.case === 'version') {
      if (variant.target.value === 0n) invalid(`${field}.version`, 'a version number >= 1', 0);
    } else if (variant.target.case === 'alias') {
      checkLabel(`${field}.alias`, variant.target.value);
    } else {
      invalid(`${field}.target`, 'a version or an alias', 'neither');
    }
    if (!pools.has(variant.pool)) {
      invalid(`${field}.pool`, `a configured pool (${[...pools].join(', ')})`, variant.pool);
    }
    checkFinite(`${field}.weight`, variant.weight, 0, Number.MAX_VALUE, 'a finite weight >= 0');
    switch (variant.role) {
      case VariantRole.CONTROL:
        controls += 1;
        answeringWeight += variant.weight;
        break;
      case VariantRole.TREATMENT:
        answeringWeight += variant.weight;
        break;
      case VariantRole.SHADOW:
        shadows += 1;
        if (experiment.kind !== ExperimentKind.SHADOW) {
          invalid(
            `${field}.role`,
            'CONTROL or TREATMENT (shadows only in SHADOW experiments)',
            'SHADOW',
          );
        }
        checkFinite(
          `${field}.shadow_sample_rate`,
          variant.shadowSampleRate,
          0,
          1,
          'a rate in [0, 1]',
        );
        break;
      default:
        invalid(`${field}.role`, 'CONTROL, TREATMENT or SHADOW', variant.role);
    }
    if (variant.role !== VariantRole.SHADOW && variant.shadowSampleRate !== 0) {
      invalid(
        `${field}.shadow_sample_rate`,
        '0 for a variant that is not a shadow',
        variant.shadowSampleRate,
      );
    }
  });
  if (controls !== 1) invalid('experiment.variants', 'exactly one CONTROL variant', `${controls}`);
  const answering = variants.length - shadows;
  if (experiment.kind === ExperimentKind.SHADOW && shadows !== 1) {
    invalid(
      'experiment.variants',
      'exactly one SHADOW variant in a SHADOW experiment',
      `${shadows}`,
    );
  }
  if (experiment.kind === ExperimentKind.CANARY && answering !== 2) {
    invalid(
      'experiment.variants',
      'a control and one treatment in a CANARY experiment',
      `${answering} answering`,
    );
  }
  if (experiment.kind === ExperimentKind.BLUE_GREEN && answering !== 2) {
    invalid(
      'experiment.variants',
      'a control (blue) and one treatment (green) in a BLUE_GREEN experiment',
      `${answering} answering`,
    );
  }
  if (!(answeringWeight > 0) || !Number.isFinite(answeringWeight)) {
    invalid(
      'experiment.variants',
      'answering variants whose weights sum to a finite number > 0',
      answeringWeight,
    );
  }
}

function checkTargeting(experiment: Experiment): void {
  if (experiment.targeting.length > LIMITS.targetingRules) {
    invalid(
      'experiment.targeting',
      `at most ${LIMITS.targetingRules} rules`,
      experiment.targeting.length,
    );
  }
  experiment.targeting.forEach((rule, index) => {
    const field = `experiment.targeting[${index}]`;
    if (rule.source !== AttributeSource.METADATA && rule.source !== AttributeSource.PARAMETER) {
      invalid(`${field}.source`, 'METADATA or PARAMETER', rule.source);
    }
    checkText(`${field}.attribute`, rule.attribute, LIMITS.unitChars, true);
    if (rule.values.length > LIMITS.ruleValues) {
      invalid(`${field}.values`, `at most ${LIMITS.ruleValues} values`, rule.values.length);
    }
    rule.values.forEach((value, v) =>
      checkText(`${field}.values[${v}]`, value, LIMITS.unitChars, false),
    );
    switch (rule.op) {
      case TargetingOp.EQUALS:
        if (rule.values.length !== 1)
          invalid(`${field}.values`, 'exactly one value for EQUALS', rule.values.length);
        break;
      case TargetingOp.IN:
      case TargetingOp.PREFIX:
        if (rule.values.length === 0) invalid(`${field}.values`, 'at least one value', 0);
        break;
      case TargetingOp.RANGE:
        if (rule.min === undefined && rule.max === undefined) {
          invalid(`${field}.min`, 'min, max or both for RANGE', 'neither');
        }
        if (rule.min !== undefined && !Number.isFinite(rule.min))
          invalid(`${field}.min`, 'a finite number', rule.min);
        if (rule.max !== undefined && !Number.isFinite(rule.max))
          invalid(`${field}.max`, 'a finite number', rule.max);
        if (rule.min !== undefined && rule.max !== undefined && !(rule.min < rule.max)) {
          invalid(`${field}.max`, `a number greater than min (${rule.min})`, rule.max);
        }
        if (rule.values.length !== 0)
          invalid(`${field}.values`, 'no values for RANGE', rule.values.length);
        break;
      default:
        invalid(`${field}.op`, 'EQUALS, IN, PREFIX or RANGE', rule.op);
    }
  });
}

function checkLayer(experiment: Experiment): void {
  if (experiment.layer !== '') checkName('experiment.layer', experiment.layer);
  const range = experiment.layerRange;
  if (range === undefined) return;
  if (experiment.layer === '')
    invalid('experiment.layer', 'a layer name when layer_range is set', '');
  if (range.end > BUCKETS) invalid('experiment.layer_range.end', `at most ${BUCKETS}`, range.end);
  if (!(range.start < range.end)) {
    invalid('experiment.layer_range.end', `greater than start (${range.start})`, range.end);
  }
}

function checkPolicy(experiment: Experiment): void {
  const policy = experiment.policy;
  if (policy === undefined) return;
  const field = 'experiment.policy';
  checkDuration(`${field}.interval`, policy.interval);
  checkDuration(`${field}.min_duration`, policy.minDuration);
  checkDuration(`${field}.max_duration`, policy.maxDuration);
  if (policy.interval !== undefined && durationMs(policy.interval) < 1) {
    invalid(`${field}.interval`, 'at least 1 ms', `${durationMs(policy.interval)} ms`);
  }
  const max = durationMs(policy.maxDuration);
  if (max !== 0 && max < durationMs(policy.minDuration)) {
    invalid(`${field}.max_duration`, 'at least min_duration, or unset', `${max} ms`);
  }
  checkFinite(`${field}.alpha`, policy.alpha, 0, 0.5, 'a significance level in (0, 0.5]');
  checkFinite(`${field}.srm_alpha`, policy.srmAlpha, 0, 0.5, 'a significance level in (0, 0.5]');
  const methods = experimentsV1.DecisionMethod;
  if (!(policy.method in methods))
    invalid(`${field}.method`, 'FIXED, SEQUENTIAL or BAYESIAN', policy.method);
  checkFinite(`${field}.canary_step`, policy.canaryStep, 0, 1, 'a fraction of traffic in (0, 1]');
  checkFinite(
    `${field}.canary_max_weight`,
    policy.canaryMaxWeight,
    0,
    1,
    'a fraction of traffic in (0, 1]',
  );
  const answering = experiment.variants.filter((v) => v.role !== VariantRole.SHADOW).length;
  checkFinite(
    `${field}.bandit_min_weight`,
    policy.banditMinWeight,
    0,
    answering > 0 ? 1 / answering : 1,
    `a share in [0, 1/${answering}]`,
  );
}

/** The experiment kinds a definition may name. */
const KINDS = new Set([
  ExperimentKind.AB,
  ExperimentKind.CANARY,
  ExperimentKind.BLUE_GREEN,
  ExperimentKind.SHADOW,
  ExperimentKind.BANDIT,
]);

/**
 * Checks everything a caller defines in an experiment (not the server-assigned fields).
 * @throws InvalidArgumentError naming the first offending field as a path
 *   (`experiment.variants[1].pool`) and what was expected
 */
export function validateDefinition(experiment: Experiment, pools: ReadonlySet<string>): void {
  checkText('experiment.name', experiment.name, LIMITS.nameChars, true);
  if (experiment.name.trim() !== experiment.name) {
    invalid('experiment.name', 'no leading or trailing spaces', experiment.name);
  }
  checkLabel('experiment.model', experiment.model);
  if (experiment.team !== '') checkLabel('experiment.team', experiment.team);
  if (!KINDS.has(experiment.kind)) {
    invalid('experiment.kind', 'AB, CANARY, BLUE_GREEN, SHADOW or BANDIT', experiment.kind);
  }
  checkVariants(experiment, pools);
  checkText('experiment.unit_type', experiment.unitType, LIMITS.unitChars, false);
  checkText('experiment.unit_parameter', experiment.unitParameter, LIMITS.unitChars, false);
  checkTargeting(experiment);
  checkLayer(experiment);
  if (experiment.salt !== '') checkText('experiment.salt', experiment.salt, LIMITS.saltChars, true);
  checkMetric('experiment.primary_metric', experiment.primaryMetric);
  const secondary = experiment.secondaryMetrics;
  if (secondary.length + experiment.guardrails.length > LIMITS.metrics) {
    invalid(
      'experiment.secondary_metrics',
      `at most ${LIMITS.metrics} metrics and guardrails`,
      secondary.length,
    );
  }
  secondary.forEach((metric, i) => checkMetric(`experiment.secondary_metrics[${i}]`, metric));
  experiment.guardrails.forEach((guardrail, i) => {
    checkMetric(`experiment.guardrails[${i}].metric`, guardrail.metric);
    checkFinite(
      `experiment.guardrails[${i}].max_degradation`,
      guardrail.maxDegradation,
      0,
      Number.MAX_VALUE,
      'a finite degradation >= 0',
    );
  });
  checkPolicy(experiment);
  checkText('experiment.description', experiment.description, LIMITS.descriptionChars, false);
}

/** Fills the policy values a definition left at zero with {@link POLICY_DEFAULTS}. */
export function withPolicyDefaults(experiment: Experiment): void {
  const policy = (experiment.policy ??= create(experimentsV1.DecisionPolicySchema, {}));
  policy.interval ??= durationFromMs(POLICY_DEFAULTS.intervalMs);
  if (policy.alpha === 0) policy.alpha = POLICY_DEFAULTS.alpha;
  if (policy.srmAlpha === 0) policy.srmAlpha = POLICY_DEFAULTS.srmAlpha;
  if (policy.method === experimentsV1.DecisionMethod.UNSPECIFIED)
    policy.method = POLICY_DEFAULTS.method;
  if (experiment.kind === ExperimentKind.CANARY) {
    if (policy.canaryStep === 0) policy.canaryStep = POLICY_DEFAULTS.canaryStep;
    if (policy.canaryMaxWeight === 0) policy.canaryMaxWeight = POLICY_DEFAULTS.canaryMaxWeight;
  }
  if (experiment.kind === ExperimentKind.BANDIT && policy.banditMinWeight === 0) {
    policy.banditMinWeight = POLICY_DEFAULTS.banditMinWeight;
  }
}

/** Milliseconds of a protobuf Duration; 0 when unset. */
export { durationMs };
