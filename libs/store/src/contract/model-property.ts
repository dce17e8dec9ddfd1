import { expect, it } from '@jest/globals';
import fc from 'fast-check';
import type { Store } from '../store';
import type { StoreContractOptions, StoreFixture } from './store-contract';

type Command =
  | {
      readonly op: 'put';
      readonly key: string;
      readonly value: Uint8Array;
      readonly expectedVersion?: number;
    }
  | { readonly op: 'delete'; readonly key: string; readonly expectedVersion?: number };

type Outcome = { readonly result: number | boolean } | { readonly conflict: number };

interface ModelEntry {
  readonly value: Uint8Array;
  readonly version: number;
}

const KEYS = ['a', 'b', 'a/b', 'ä'];

const command: fc.Arbitrary<Command> = fc.oneof(
  fc.record(
    {
      op: fc.constant('put' as const),
      key: fc.constantFrom(...KEYS),
      value: fc.uint8Array({ maxLength: 8 }),
      expectedVersion: fc.nat(3),
    },
    { requiredKeys: ['op', 'key', 'value'] },
  ),
  fc.record(
    {
      op: fc.constant('delete' as const),
      key: fc.constantFrom(...KEYS),
      expectedVersion: fc.nat(3),
    },
    { requiredKeys: ['op', 'key'] },
  ),
);

/** What the Store contract says a command does to the model, and what it returns. */
function applyToModel(model: Map<string, ModelEntry>, step: Command): Outcome {
  const current = model.get(step.key)?.version ?? 0;
  if (step.expectedVersion !== undefined && step.expectedVersion !== current) {
    return { conflict: current };
  }
  if (step.op === 'put') {
    model.set(step.key, { value: step.value, version: current + 1 });
    return { result: current + 1 };
  }
  model.delete(step.key);
  return { result: current > 0 };
}

async function applyToStore(store: Store, step: Command): Promise<Outcome> {
  const options =
    step.expectedVersion === undefined ? undefined : { expectedVersion: step.expectedVersion };
  try {
    const result =
      step.op === 'put'
        ? await store.put(step.key, step.value, options)
        : await store.delete(step.key, options);
    return { result };
  } catch (error) {
    const conflict = error as { code?: number; actualVersion?: number };
    if (conflict.code === 10 && typeof conflict.actualVersion === 'number') {
      return { conflict: conflict.actualVersion };
    }
    throw error;
  }
}

async function expectSameState(store: Store, model: Map<string, ModelEntry>): Promise<void> {
  const listed = await store.scan('');
  const expected = [...model.entries()]
    .sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    .map(([key, entry]) => ({ key, value: entry.value, version: entry.version }));
  expect(listed.map((entry) => ({ ...entry, value: Array.from(entry.value) }))).toEqual(
    expected.map((entry) => ({ ...entry, value: Array.from(entry.value) })),
  );
  for (const key of KEYS) {
    const entry = await store.get(key);
    expect(entry?.version).toBe(model.get(key)?.version);
  }
}

/** Upper bound for the whole property run; generous because each run opens a fresh store. */
const PROPERTY_TIMEOUT_MS = 60_000;

/**
 * Random sequences of puts, deletes and compare-and-sets give the same results and the same
 * state on the store as on a plain map (and again after a restart, for durable backends).
 */
export function describeModelProperty(
  open: () => Promise<StoreFixture>,
  options: StoreContractOptions,
): void {
  it(
    'behaves like a simple model under random puts, deletes and compare-and-sets',
    async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(command, { maxLength: 25 }), async (commands) => {
          const fixture = await open();
          try {
            let store = fixture.store;
            const model = new Map<string, ModelEntry>();
            for (const step of commands) {
              expect(await applyToStore(store, step)).toEqual(applyToModel(model, step));
            }
            await expectSameState(store, model);
            if (options.durable === true) {
              store = await fixture.restart!();
              await expectSameState(store, model);
            }
          } finally {
            await fixture.dispose();
          }
        }),
        { numRuns: options.propertyRuns ?? 15 },
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
}
