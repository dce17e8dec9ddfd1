import { create } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { openMemoryStore, type Store } from '@verdict/store';
import { createExperimentStore } from '../experiments/experiment-store';
import { driftView } from './drift-view';
import { createDashboardSource } from './source-adapter';

const experiment = (id: string) =>
  create(experimentsV1.ExperimentSchema, { id, name: `name-${id}`, model: 'spam', team: 'ml' });

describe('createDashboardSource over the experiment store', () => {
  let store: Store;
  beforeEach(async () => {
    store = await openMemoryStore();
  });
  afterEach(async () => {
    await store.close();
  });

  it('lists experiments across pages up to the bound, finds one, and lists decisions', async () => {
    const experiments = createExperimentStore(store);
    for (let i = 0; i < 5; i++) await experiments.insert(experiment(`e${i}`), 1000 + i);
    for (let i = 0; i < 3; i++) {
      await experiments.addDecision(
        create(experimentsV1.DecisionSchema, { id: `d${i}`, experimentId: 'e1' }),
        2000 + i,
      );
    }
    const results = { results: jest.fn() };
    const source = createDashboardSource({ experiments, results, maxExperiments: 4 });
    const listed = await source.listExperiments();
    expect(listed).toHaveLength(4);
    expect(new Set(listed.map((e) => e.id)).size).toBe(4);
    expect((await source.listExperiments()).length).toBe(4);
    expect((await source.experiment('e3'))?.name).toBe('name-e3');
    expect(await source.experiment('missing')).toBeUndefined();
    expect((await source.decisions('e1')).map((d) => d.id).sort()).toEqual(['d0', 'd1', 'd2']);
    expect(await source.decisions('e2')).toEqual([]);
    expect(source.drift).toBeUndefined();
  });

  it('hands results ranges through and turns drift points into a series per version', async () => {
    const experiments = createExperimentStore(store);
    const results = { results: jest.fn(async () => create(experimentsV1.ResultsSchema, {})) };
    const source = createDashboardSource({
      experiments,
      results,
      psiThreshold: 0.1,
      drift: {
        series: (model) =>
          model !== 'spam'
            ? []
            : [
                { time: 1000, version: '1', feature: 'length', psi: 0.02, drifted: false },
                { time: 1000, version: '2', feature: 'length', psi: 0.3, drifted: true },
              ],
      },
    });
    const range = { end: new Date(5000) };
    await source.results(experiment('e0'), range);
    expect(results.results).toHaveBeenCalledWith(experiment('e0'), range);
    const series = await source.drift!('spam');
    expect(series.psiThreshold).toBe(0.1);
    expect(series.points[1]).toEqual({
      time: new Date(1000),
      version: '2',
      feature: 'length',
      psi: 0.3,
      drifted: true,
    });
    const view = driftView('spam', series, 10);
    expect(view.features.map((f) => f.feature)).toEqual([
      'length (version 1)',
      'length (version 2)',
    ]);
    expect(view.features[1]).toMatchObject({ psi: [0.3], drifted: [true] });
  });
});
