import { create } from '@bufbuild/protobuf';
import { durationMs } from '@bufbuild/protobuf/wkt';
import { createSpamFeaturizer } from '@verdict/model-zoo';
import { experimentsV1 } from '@verdict/proto';
import { argmax, demoCopy, DEMO_POLICY_MS, shiftedText, VariantTally } from './demo-plan';

describe('demo plan', () => {
  const template = create(experimentsV1.ExperimentSchema, {
    id: 'e1',
    name: 'spam-v2-vs-v1',
    team: 'demo',
    model: 'spam',
    kind: experimentsV1.ExperimentKind.AB,
    state: experimentsV1.ExperimentState.RUNNING,
    salt: 'old-salt',
    version: 7n,
    variants: [
      { name: 'control', target: { case: 'version', value: 1n }, weight: 50, role: 1 },
      { name: 'treatment', target: { case: 'version', value: 2n }, weight: 50, role: 2 },
    ],
    primaryMetric: { name: 'correct', type: experimentsV1.MetricType.BINARY },
    policy: { alpha: 0.05, minSampleSize: 1000n, method: experimentsV1.DecisionMethod.SEQUENTIAL },
  });

  it('copies the definition, not the identity or state, on the demo clock', () => {
    const copy = demoCopy(template, 'spam-demo-1');
    expect(copy).toMatchObject({ id: '', name: 'spam-demo-1', salt: '', version: 0n, state: 0 });
    expect(copy.variants).toEqual(template.variants);
    expect(copy.primaryMetric).toEqual(template.primaryMetric);
    expect(copy.policy).toMatchObject({ alpha: 0.05, minSampleSize: 500n, autoApply: true });
    expect(durationMs(copy.policy!.interval!)).toBe(DEMO_POLICY_MS.interval);
    expect(durationMs(copy.policy!.maxDuration!)).toBe(DEMO_POLICY_MS.maxDuration);
  });

  it('shifts inputs: many more distinct words per message', () => {
    const featurizer = createSpamFeaturizer();
    const text = 'Subject: cheap pills\n\nbuy now, cheap pills for everyone';
    const before = featurizer.featurizeBatch([text]);
    const after = featurizer.featurizeBatch([shiftedText(text)]);
    const nonzero = (row: Float32Array) => row.filter((v) => v !== 0).length;
    expect(nonzero(after)).toBeGreaterThan(nonzero(before) + 50);
  });

  it('tallies answers per variant', () => {
    const tally = new VariantTally();
    tally.add('control', true);
    tally.add('control', false);
    tally.add('treatment', true);
    expect(tally.accuracy('control')).toBe(0.5);
    expect(tally.summary()).toBe(
      'control 2 answers, 50.00% right; treatment 1 answers, 100.00% right',
    );
    expect(argmax([0.2, 0.7, 0.1])).toBe(1);
  });
});
