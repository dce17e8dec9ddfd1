import { create } from '@bufbuild/protobuf';
import { durationFromMs } from '@bufbuild/protobuf/wkt';
import { experimentsV1 } from '@verdict/proto';

/**
 * The demo's policy: the seeded experiment's policy would wait ten minutes before promoting
 * and two weeks before giving up; the demo keeps everything else and squeezes the clock so a
 * person sees a decision within a few minutes.
 */
export const DEMO_POLICY_MS = {
  interval: 5_000,
  minDuration: 45_000,
  maxDuration: 120_000,
} as const;

/** A new experiment like `template` (variants, metrics, guardrails) with the demo's clock. */
export function demoCopy(
  template: experimentsV1.Experiment,
  name: string,
): experimentsV1.Experiment {
  return create(experimentsV1.ExperimentSchema, {
    name,
    team: template.team,
    model: template.model,
    kind: template.kind,
    description: `npm run demo: ${template.description}`,
    variants: template.variants,
    unitType: template.unitType,
    unitParameter: template.unitParameter,
    targeting: template.targeting,
    primaryMetric: template.primaryMetric,
    secondaryMetrics: template.secondaryMetrics,
    guardrails: template.guardrails,
    failoverToControl: template.failoverToControl,
    policy: {
      ...create(experimentsV1.DecisionPolicySchema, template.policy),
      interval: durationFromMs(DEMO_POLICY_MS.interval),
      minDuration: durationFromMs(DEMO_POLICY_MS.minDuration),
      maxDuration: durationFromMs(DEMO_POLICY_MS.maxDuration),
      minSampleSize:
        template.policy !== undefined && template.policy.minSampleSize > 500n
          ? 500n
          : (template.policy?.minSampleSize ?? 500n),
      autoApply: true,
    },
  });
}

/**
 * A footer a mail gateway might start appending to every message: some 70 distinct words the
 * training messages rarely carried together.
 */
export const GATEWAY_FOOTER =
  'CONFIDENTIALITY NOTICE: This electronic transmission and any documents accompanying it ' +
  'contain information belonging to the sender which may be confidential and legally ' +
  'privileged. This information is intended only for the use of the individual or entity to ' +
  'whom it was addressed. If you are not the intended recipient, any disclosure, copying, ' +
  'distribution or action taken in reliance on the contents is strictly prohibited. Scanned ' +
  'for viruses by the corporate mail gateway; retention policy seven years; archive reference ' +
  'attached; please consider the environment before printing this email.';

/**
 * The input shift of the demo's second phase: every message arrives with the gateway's long
 * footer, as after a change of mail infrastructure. The models still answer, but their inputs
 * now carry many more distinct words than the training messages did.
 */
export function shiftedText(text: string): string {
  return `${text}\n\n--\n${GATEWAY_FOOTER}`;
}

/** Index of the largest value. */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Per-variant tallies of what the demo saw: answers and how many were right. */
export class VariantTally {
  readonly answered = new Map<string, number>();
  readonly correct = new Map<string, number>();

  add(variant: string, right: boolean): void {
    this.answered.set(variant, (this.answered.get(variant) ?? 0) + 1);
    if (right) this.correct.set(variant, (this.correct.get(variant) ?? 0) + 1);
  }

  accuracy(variant: string): number {
    return (this.correct.get(variant) ?? 0) / Math.max(1, this.answered.get(variant) ?? 0);
  }

  summary(): string {
    return [...this.answered.keys()]
      .sort()
      .map(
        (variant) =>
          `${variant} ${this.answered.get(variant)} answers, ${(100 * this.accuracy(variant)).toFixed(2)}% right`,
      )
      .join('; ');
  }
}
