import { create, equals, fromBinary, toBinary } from '@bufbuild/protobuf';
import { experimentsV1 } from '@verdict/proto';
import { VersionConflictError, type Store } from '@verdict/store';
import type { PoolConfig } from '../config';
import { aliasKey, buildRoutingTable } from './build-table';

type RoutingTable = experimentsV1.RoutingTable;

/** Store key of the routing table in force; its store version is the table's version. */
export const TABLE_KEY = 'routing/table';
/** Channel on which every replica announces a new table version (a wake-up, not the data). */
export const TABLE_CHANNEL = 'routing/table-changed';

/** Options of {@link createRoutingTables}. */
export interface RoutingTablesOptions {
  store: Store;
  pools: readonly PoolConfig[];
  /** Every experiment, as stored now. */
  experiments(): Promise<experimentsV1.Experiment[]>;
  /** @default () => new Date() */
  now?: () => Date;
  /**
   * How often a watcher re-reads the table even without a wake-up, since pub/sub may lose
   * messages (Redis drops them for a disconnected subscriber).
   * @default 5000
   */
  watchPollMs?: number;
  /**
   * Attempts of one rebuild when other replicas keep writing the table first.
   * @default 20
   */
  maxAttempts?: number;
  /**
   * Resolves a registry alias to the version it points at, so tables route alias variants to
   * a version; without it (or when it fails and no earlier answer is known) the variant is
   * forwarded with its alias.
   */
  resolveAlias?: (model: string, alias: string) => Promise<bigint>;
}

/** The versioned routing tables every analyzer replica agrees on through the store. */
export interface RoutingTables {
  /** The table in force; undefined before the first {@link rebuild}. */
  current(): Promise<RoutingTable | undefined>;
  /**
   * Builds a new table version from every experiment and the table in force (keeping bucket
   * layouts) and stores it with a compare-and-set, so concurrent replicas never lose a change.
   * @param onlyIfChanged - when true, keeps the table in force if the new one would route the same
   */
  rebuild(onlyIfChanged?: boolean): Promise<RoutingTable>;
  /**
   * Tables newer than `afterVersion`: the current one when it is newer, then each new one as it
   * is made, each newer than the last (a version made and superseded between two reads is
   * skipped: every table is complete). Ends when `signal` aborts.
   */
  watch(afterVersion: bigint, signal: AbortSignal): AsyncGenerator<RoutingTable>;
}

function decode(value: Uint8Array): RoutingTable {
  return fromBinary(experimentsV1.RoutingTableSchema, value);
}

/** Whether two tables route identically (version and creation time aside). */
function sameRouting(a: RoutingTable, b: RoutingTable): boolean {
  const strip = (table: RoutingTable) =>
    create(experimentsV1.RoutingTableSchema, { pools: table.pools, models: table.models });
  return equals(experimentsV1.RoutingTableSchema, strip(a), strip(b));
}

/** Creates the routing-table keeper over the store. */
export function createRoutingTables(options: RoutingTablesOptions): RoutingTables {
  const { store } = options;
  const now = options.now ?? (() => new Date());
  const pollMs = options.watchPollMs ?? 5000;
  const maxAttempts = options.maxAttempts ?? 20;

  // Last known answer per alias: a registry outage keeps routing where it did, not flapping
  // between versions and aliases.
  const known = new Map<string, bigint>();
  const resolveAliases = async (experiments: readonly experimentsV1.Experiment[]) => {
    const resolve = options.resolveAlias;
    if (resolve === undefined) return known;
    const wanted = new Map<string, { model: string; alias: string }>();
    for (const experiment of experiments) {
      if (experiment.state === experimentsV1.ExperimentState.DRAFT) continue;
      for (const variant of experiment.variants) {
        if (variant.target.case !== 'alias') continue;
        const key = aliasKey(experiment.model, variant.target.value);
        wanted.set(key, { model: experiment.model, alias: variant.target.value });
      }
    }
    await Promise.all(
      [...wanted].map(async ([key, { model, alias }]) => {
        try {
          const version = await resolve(model, alias);
          if (version > 0n) known.set(key, version);
        } catch {
          // Unreachable registry or unknown alias: the last answer (or the alias) stands.
        }
      }),
    );
    return known;
  };

  const current = async () => {
    const entry = await store.get(TABLE_KEY);
    return entry === undefined ? undefined : decode(entry.value);
  };

  return {
    current,
    async rebuild(onlyIfChanged = false) {
      for (let attempt = 1; ; attempt++) {
        const entry = await store.get(TABLE_KEY);
        const previous = entry === undefined ? undefined : decode(entry.value);
        const version = (entry?.version ?? 0) + 1;
        const experiments = await options.experiments();
        const table = buildRoutingTable({
          version: BigInt(version),
          now: now(),
          pools: options.pools,
          experiments,
          previous,
          aliases: await resolveAliases(experiments),
        });
        if (onlyIfChanged && previous !== undefined && sameRouting(previous, table)) {
          return previous;
        }
        try {
          await store.put(TABLE_KEY, toBinary(experimentsV1.RoutingTableSchema, table), {
            expectedVersion: entry?.version ?? 0,
          });
        } catch (error) {
          if (error instanceof VersionConflictError && attempt < maxAttempts) continue;
          throw error;
        }
        await store.publish(TABLE_CHANNEL, Buffer.from(String(version)));
        return table;
      }
    },
    async *watch(afterVersion, signal) {
      let pending = true;
      let wake: (() => void) | undefined;
      const poke = () => {
        pending = true;
        wake?.();
      };
      // Subscribe before the first read so that no version falls between the two.
      const unsubscribe = await store.subscribe(TABLE_CHANNEL, poke);
      const timer = setInterval(poke, pollMs);
      timer.unref();
      signal.addEventListener('abort', poke);
      let last = afterVersion;
      try {
        while (!signal.aborted) {
          if (!pending) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
            continue;
          }
          pending = false;
          const table = await current();
          if (table !== undefined && table.version > last) {
            last = table.version;
            yield table;
          }
        }
      } finally {
        clearInterval(timer);
        signal.removeEventListener('abort', poke);
        await unsubscribe();
      }
    },
  };
}
