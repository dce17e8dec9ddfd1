import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { AbortedError } from '@verdict/errors';
import { registryV1 } from '@verdict/proto';
import { VersionConflictError, type Store } from '@verdict/store';
import type { Actor } from '@verdict/audit-client';
import { pad20 } from './names';

type Alias = registryV1.Alias;
type AliasMove = registryV1.AliasMove;

/** Store keys of the alias log. */
export const ALIAS_KEYS = {
  /** The latest committed move; its compare-and-set orders every move registry-wide. */
  head: 'alias-head',
  move: (revision: bigint | number) => `move/${pad20(revision)}`,
  movePrefix: 'move/',
  alias: (model: string, alias: string) => `alias/${model}/${alias}`,
  aliasPrefix: (model: string) => `alias/${model}/`,
  historyOfModel: (model: string) => `moves/${model}`,
  historyOfAlias: (model: string, alias: string) => `moves/${model}/${alias}`,
  /** Pub/sub channel that wakes watchers; the moves themselves are read from the store. */
  channel: 'registry/alias-moves',
} as const;

/** Options of {@link createAliasLog}. */
export interface AliasLogOptions {
  store: Store;
  /** @default Date.now */
  now?: () => number;
  /**
   * Attempts of one move when other moves keep winning the compare-and-set.
   * @default 100
   */
  maxAttempts?: number;
}

/** What a move asks for. */
export interface MoveRequest {
  model: string;
  alias: string;
  version: bigint;
  /** Compare-and-set: where the alias must point now (0n: must not exist); undefined: anywhere. */
  expectedVersion?: bigint;
}

/**
 * The registry-wide log of alias moves. A move commits by compare-and-set on one head entry,
 * which gives every move a revision in a single order; it is then applied (move record, history
 * indexes, the alias itself) idempotently, and anyone who finds an unapplied head applies it
 * first, so a crash between commit and apply loses nothing.
 */
export interface AliasLog {
  move(actor: Actor, request: MoveRequest): Promise<{ alias: Alias; move: AliasMove }>;
  get(model: string, alias: string): Promise<Alias | undefined>;
  list(model: string): Promise<Alias[]>;
  /** Moves after `afterRevision`, oldest first, at most `limit`. */
  movesAfter(afterRevision: bigint, limit: number): Promise<AliasMove[]>;
  /** Newest first: revisions below `beforeRevision` (exclusive; undefined for the newest). */
  history(
    model: string,
    alias: string,
    beforeRevision: bigint | undefined,
    limit: number,
  ): Promise<AliasMove[]>;
  /** Applies a committed but unapplied move left by a crash. */
  recover(): Promise<void>;
  /** Calls `wake` after each move (possibly from another replica); returns the unsubscribe. */
  onMove(wake: () => void): Promise<() => Promise<void>>;
}

/** Creates the alias log over a store. */
export function createAliasLog(options: AliasLogOptions): AliasLog {
  const { store } = options;
  const now = options.now ?? Date.now;
  const maxAttempts = options.maxAttempts ?? 100;

  const decodeMove = (bytes: Uint8Array) => fromBinary(registryV1.AliasMoveSchema, bytes);
  const decodeAlias = (bytes: Uint8Array) => fromBinary(registryV1.AliasSchema, bytes);

  async function putIfAbsent(key: string, value: Uint8Array): Promise<void> {
    try {
      await store.put(key, value, { expectedVersion: 0 });
    } catch (error) {
      if (!(error instanceof VersionConflictError)) throw error;
    }
  }

  async function apply(move: AliasMove): Promise<void> {
    const rev = pad20(move.revision);
    await putIfAbsent(ALIAS_KEYS.move(move.revision), toBinary(registryV1.AliasMoveSchema, move));
    await store.sortedAdd(ALIAS_KEYS.historyOfModel(move.model), rev, Number(move.revision));
    await store.sortedAdd(
      ALIAS_KEYS.historyOfAlias(move.model, move.alias),
      rev,
      Number(move.revision),
    );
    const key = ALIAS_KEYS.alias(move.model, move.alias);
    const next = toBinary(
      registryV1.AliasSchema,
      create(registryV1.AliasSchema, {
        model: move.model,
        name: move.alias,
        version: move.toVersion,
        revision: move.revision,
        updatedBy: move.actor,
        updateTime: move.time,
      }),
    );
    for (;;) {
      const entry = await store.get(key);
      // A slow applier of an older move must not overwrite a newer one.
      if (entry !== undefined && decodeAlias(entry.value).revision >= move.revision) return;
      try {
        await store.put(key, next, { expectedVersion: entry?.version ?? 0 });
        return;
      } catch (error) {
        if (!(error instanceof VersionConflictError)) throw error;
      }
    }
  }

  async function readHead(): Promise<{ move: AliasMove | undefined; version: number }> {
    const entry = await store.get(ALIAS_KEYS.head);
    return entry === undefined
      ? { move: undefined, version: 0 }
      : { move: decodeMove(entry.value), version: entry.version };
  }

  const get = async (model: string, alias: string) => {
    const entry = await store.get(ALIAS_KEYS.alias(model, alias));
    return entry === undefined ? undefined : decodeAlias(entry.value);
  };

  return {
    get,
    async move(actor, request) {
      for (let attempt = 0; attempt < maxAttempts; attempt++) {
        const head = await readHead();
        if (head.move !== undefined) await apply(head.move);
        const current = await get(request.model, request.alias);
        const from = current?.version ?? 0n;
        if (request.expectedVersion !== undefined && from !== request.expectedVersion) {
          throw new AbortedError(
            `alias ${request.model}@${request.alias} points at version ${from}, not the expected ${request.expectedVersion}; read it again and retry`,
          );
        }
        const move = create(registryV1.AliasMoveSchema, {
          revision: (head.move?.revision ?? 0n) + 1n,
          model: request.model,
          alias: request.alias,
          fromVersion: from,
          toVersion: request.version,
          actor: actor.principal.id,
          time: timestampFromMs(now()),
          traceId: actor.traceId,
        });
        try {
          await store.put(ALIAS_KEYS.head, toBinary(registryV1.AliasMoveSchema, move), {
            expectedVersion: head.version,
          });
        } catch (error) {
          if (error instanceof VersionConflictError) continue;
          throw error;
        }
        await apply(move);
        await store.publish(ALIAS_KEYS.channel, Buffer.from(pad20(move.revision)));
        const alias = (await get(request.model, request.alias))!;
        return { alias, move };
      }
      throw new AbortedError(
        `alias ${request.model}@${request.alias}: other moves won ${maxAttempts} times in a row; retry`,
      );
    },
    async list(model) {
      const entries = await store.scan(ALIAS_KEYS.aliasPrefix(model));
      return entries.map((entry) => decodeAlias(entry.value));
    },
    async movesAfter(afterRevision, limit) {
      const entries = await store.scan(ALIAS_KEYS.movePrefix, {
        after: ALIAS_KEYS.move(afterRevision),
        limit,
      });
      return entries.map((entry) => decodeMove(entry.value));
    },
    async history(model, alias, beforeRevision, limit) {
      const set =
        alias === '' ? ALIAS_KEYS.historyOfModel(model) : ALIAS_KEYS.historyOfAlias(model, alias);
      const members = await store.sortedRange(set, {
        reverse: true,
        limit,
        ...(beforeRevision === undefined ? {} : { max: Number(beforeRevision) - 1 }),
      });
      const moves = await Promise.all(members.map((m) => store.get(`move/${m.member}`)));
      return moves.filter((e) => e !== undefined).map((e) => decodeMove(e.value));
    },
    async recover() {
      const head = await readHead();
      if (head.move !== undefined) await apply(head.move);
    },
    async onMove(wake) {
      const unsubscribe = await store.subscribe(ALIAS_KEYS.channel, () => wake());
      return async () => {
        await unsubscribe();
      };
    },
  };
}
