/**
 * Where the results reader keeps the running minimum of each sequential p-value between
 * evaluations: one Store entry per experiment, `analyzer/sequential-min/<experiment>`, holding
 * JSON { start, minima: { "<variant>/<metric>": p } }. It restarts when the experiment restarts
 * (a new start_time). Replicas write with compare-and-set; a lost race only means a look is
 * not remembered, which keeps the p-value valid (a minimum over fewer looks).
 */
import { VersionConflictError, type Store } from '@verdict/store';

interface Stored {
  start: number;
  minima: Record<string, number>;
}

/** The stored minima of an experiment and a function that saves the updated ones. */
export async function loadRunningMinimum(
  store: Store,
  experimentId: string,
  startMs: number,
): Promise<{ minima: Map<string, number>; save: () => Promise<void> }> {
  const key = `analyzer/sequential-min/${encodeURIComponent(experimentId)}`;
  const entry = await store.get(key);
  let stored: Stored | undefined;
  try {
    stored =
      entry === undefined
        ? undefined
        : (JSON.parse(Buffer.from(entry.value).toString('utf8')) as Stored);
  } catch {
    stored = undefined;
  }
  const minima = new Map<string, number>(
    stored !== undefined && stored.start === startMs ? Object.entries(stored.minima) : [],
  );
  return {
    minima,
    async save() {
      const value: Stored = { start: startMs, minima: Object.fromEntries(minima) };
      try {
        await store.put(key, Buffer.from(JSON.stringify(value)), {
          expectedVersion: entry?.version ?? 0,
        });
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    },
  };
}
