import { registryV1 } from '@verdict/proto';
import type { AliasLog } from './alias-log';

/** One message of a watch: a move, or the end of the replay. */
export type WatchEvent = { move: registryV1.AliasMove } | { synced: bigint };

/** What {@link watchAliases} needs. */
export interface WatchOptions {
  aliases: AliasLog;
  /** Watched aliases; an empty alias means every alias of the model; empty list: everything visible. */
  keys: readonly { model: string; alias: string }[];
  afterRevision: bigint;
  signal: AbortSignal;
  /** Whether the caller may read a model's moves (for watches of everything). */
  visible(model: string): Promise<boolean>;
  /** Validates and authorizes the watched keys before anything is sent. */
  check(): Promise<void>;
  /**
   * Moves read from the store per step.
   * @default 500
   */
  batchSize?: number;
}

/**
 * Replays the moves after `afterRevision`, marks the end of the replay, then follows live moves.
 * A watcher always reads moves from the store after the last revision it has seen, and the
 * pub/sub message only wakes it, so a lost wake-up delays a move but never drops it, and a
 * resumed watcher sees each move exactly once.
 */
export async function* watchAliases(options: WatchOptions): AsyncGenerator<WatchEvent> {
  await options.check();
  const batchSize = options.batchSize ?? 500;
  const wanted = (move: registryV1.AliasMove) =>
    options.keys.length === 0
      ? options.visible(move.model)
      : Promise.resolve(
          options.keys.some(
            (k) => k.model === move.model && (k.alias === '' || k.alias === move.alias),
          ),
        );

  let pending = true;
  let wake: (() => void) | undefined;
  const poke = () => {
    pending = true;
    wake?.();
  };
  // Subscribe before the replay so that no move falls between the two.
  const unsubscribe = await options.aliases.onMove(poke);
  const onAbort = () => wake?.();
  options.signal.addEventListener('abort', onAbort);
  let last = options.afterRevision;
  let synced = false;
  try {
    while (!options.signal.aborted) {
      if (!pending) {
        await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        continue;
      }
      pending = false;
      for (;;) {
        const moves = await options.aliases.movesAfter(last, batchSize);
        for (const move of moves) {
          last = move.revision;
          if (await wanted(move)) yield { move };
        }
        if (moves.length < batchSize) break;
      }
      if (!synced) {
        synced = true;
        yield { synced: last };
      }
    }
  } finally {
    options.signal.removeEventListener('abort', onAbort);
    await unsubscribe();
  }
}
