/**
 * A short, seeded version of the A/A simulation (the full one is `npm run bench -w
 * @verdict/bench -- stats-aa`): through computeResults and evaluatePolicy, A/A experiments stay
 * undecided where the fixed-horizon method under the same looks does not, and a real effect
 * is found.
 */
import { experimentsV1 } from '@verdict/proto';
import { simulate } from './aa-simulation';

const { DecisionMethod } = experimentsV1;
const short = { replications: 40, seed: 7, days: 14, lookHours: 6 };

describe('A/A simulation through the decision path', () => {
  it('keeps A/B, canary and drifting bandit A/A runs undecided with the sequential method', () => {
    // A canary's weights rise while a mean drifts upwards: pooled means would favour it.
    const designs = [
      ['ab', 'proportion'],
      ['canary', 'mean'],
      ['bandit', 'proportion'],
    ] as const;
    for (const [kind, metric] of designs) {
      const result = simulate(
        { kind, metric, drift: true, effect: 0, method: DecisionMethod.SEQUENTIAL },
        kind === 'bandit' ? { ...short, replications: 15 } : short,
      );
      // 40 runs cannot measure 5%, but they tell it from the 29-48% of pooled analyses under
      // changing weights; the bench measures the rate.
      expect({ kind, decided: result.decided <= 0.1 * result.replications }).toEqual({
        kind,
        decided: true,
      });
    }
    const ratio = simulate(
      { kind: 'ab', metric: 'ratio', drift: false, effect: 0, method: DecisionMethod.SEQUENTIAL },
      { ...short, replications: 20 },
    );
    expect(ratio.decided).toBeLessThanOrEqual(2);
  });

  it('shows the fixed-horizon method deciding under the same peeking', () => {
    const fixed = simulate(
      { kind: 'ab', metric: 'proportion', drift: false, effect: 0, method: DecisionMethod.FIXED },
      { ...short, lookHours: 1 },
    );
    expect(fixed.decided).toBeGreaterThan(2);
  });

  it('promotes a 20% lift, after the default week', () => {
    const power = simulate(
      {
        kind: 'ab',
        metric: 'proportion',
        drift: false,
        effect: 0.2,
        method: DecisionMethod.SEQUENTIAL,
      },
      { ...short, replications: 10 },
    );
    expect(power.promotions).toBeGreaterThanOrEqual(8);
    expect(Math.min(...power.stoppingHours)).toBeGreaterThanOrEqual(7 * 24);
  });
});
