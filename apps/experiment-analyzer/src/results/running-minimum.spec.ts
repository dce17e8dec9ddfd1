/** The sequential p-value over looks: a running minimum, kept in the Store between evaluations. */
import { createMemoryStore } from '@verdict/store';
import { T0, testExperiment } from '../ingest/experiment-fixture';
import { FIELD, UNITS_METRIC } from '../ingest/stat-keys';
import type { Aggregates, VariantMetrics } from './aggregates';
import { computeResults } from './compute-results';
import { loadRunningMinimum } from './running-minimum';

const fields = (f: Record<string, number>) => new Map(Object.entries(f));

function aggregatesOf(clicks: { control: number; treatment: number }): Aggregates {
  const totals: VariantMetrics = new Map();
  for (const [variant, s] of Object.entries(clicks)) {
    totals.set(
      variant,
      new Map<string, Map<string, number>>([
        [UNITS_METRIC, fields({ [FIELD.n]: 2000, [FIELD.expected]: 2000 })],
        ['click', fields({ [FIELD.n]: 2000, [FIELD.sum]: s, [FIELD.sumSquares]: s })],
      ]),
    );
  }
  return { windows: [], totals, byWindow: new Map(), shadowMax: new Map() };
}

const click = (r: ReturnType<typeof computeResults>) =>
  r.variants[1].metrics.find((m) => m.metric === 'click')!;

describe('running minimum of sequential p-values', () => {
  it('keeps the smallest p-value across looks, across a Store round trip', async () => {
    const experiment = testExperiment();
    const store = createMemoryStore();
    const first = await loadRunningMinimum(store, experiment.id, T0);
    const strong = computeResults(
      experiment,
      aggregatesOf({ control: 200, treatment: 300 }),
      new Date(T0),
      first.minima,
    );
    await first.save();
    const second = await loadRunningMinimum(store, experiment.id, T0);
    const weak = computeResults(
      experiment,
      aggregatesOf({ control: 200, treatment: 205 }),
      new Date(T0),
      second.minima,
    );
    const fresh = computeResults(
      experiment,
      aggregatesOf({ control: 200, treatment: 205 }),
      new Date(T0),
    );
    expect(click(strong).significant).toBe(true);
    expect(click(fresh).significant).toBe(false);
    expect(click(weak).significant).toBe(true);
    // A restarted experiment starts over.
    const restarted = await loadRunningMinimum(store, experiment.id, T0 + 1);
    expect(restarted.minima.size).toBe(0);
  });
});
