/**
 * The narrow storage interface every stateful Verdict service uses. Two backends implement it
 * with the same observable semantics (checked by one contract suite): an embedded memory+file
 * store and Redis.
 *
 * Shared rules:
 * - Keys, set names, channel and stream names are non-empty, well-formed Unicode strings;
 *   anything else is rejected with an `InvalidArgumentError` naming the argument, and nothing
 *   is changed.
 * - "Lexicographic order" always means the byte order of the UTF-8 encoding (which is Unicode
 *   code point order, not JavaScript's UTF-16 `<`).
 * - Entries, counters, sorted sets, channels and streams are separate namespaces: a counter
 *   and an entry may share a name without touching each other.
 * - Values and messages are bytes and round-trip exactly; the store keeps its own copy, so a
 *   caller may reuse its buffer after the promise resolves.
 */
export interface Store {
  /**
   * Reads one entry.
   * @returns the value and its version, or `undefined` when the key does not exist.
   */
  get(key: string): Promise<Entry | undefined>;

  /**
   * Writes one entry. The first put of a key gives version 1 and each later put adds 1. A
   * delete forgets the version: a key written again after a delete starts at 1.
   *
   * With `expectedVersion`, the write is a compare-and-set: it happens only if the key's
   * current version is exactly that number (0: the key must not exist); otherwise it throws
   * a {@link VersionConflictError} (an `AbortedError`) naming the key, the expected and the
   * actual version, and the entry stays as it was.
   * @returns the new version.
   */
  put(key: string, value: Uint8Array, options?: PutOptions): Promise<number>;

  /**
   * Removes one entry. With `expectedVersion`, only if the current version is exactly that
   * number (0: the key must not exist, so nothing is deleted); a mismatch throws a
   * {@link VersionConflictError} and changes nothing.
   * @returns true when an entry was removed, false when there was none.
   */
  delete(key: string, options?: DeleteOptions): Promise<boolean>;

  /**
   * Adds an integer to a counter atomically (concurrent callers never lose an update). An
   * absent counter counts as 0. `delta` must be a safe integer (`InvalidArgumentError`
   * otherwise); a counter that holds a fractional sum (from {@link incrementFloat}) cannot be
   * incremented by an integer (`FailedPreconditionError`). Exact while the magnitude stays
   * below 2^53.
   * @returns the counter after the increment.
   */
  incrementBy(key: string, delta: number): Promise<number>;

  /**
   * Adds a finite number to a counter atomically; the counter is a floating-point sum. Shares
   * the counter namespace with {@link incrementBy}. The backends round differently in the last
   * bits (Redis sums in long double and keeps 17 significant digits), so compare sums of
   * fractions with a tolerance.
   * @returns the sum after the increment.
   */
  incrementFloat(key: string, delta: number): Promise<number>;

  /** Reads a counter; 0 when it does not exist. */
  getCounter(key: string): Promise<number>;

  /**
   * Lists entries whose key starts with `prefix` (the empty prefix lists everything), in
   * lexicographic key order. For paging, pass the last key of a page as `after` (exclusive)
   * to get the next one. The result is one consistent snapshot.
   */
  scan(prefix: string, options?: ScanOptions): Promise<ScannedEntry[]>;

  /**
   * Adds a member to a sorted set, or moves it to a new score. Scores are finite numbers.
   */
  sortedAdd(set: string, member: string, score: number): Promise<void>;

  /**
   * Lists members of a sorted set with `min <= score <= max`, by ascending score (descending
   * with `reverse`); members with equal scores are in lexicographic order (reversed with
   * `reverse`). A missing set is empty.
   */
  sortedRange(set: string, options?: SortedRangeOptions): Promise<SortedMember[]>;

  /**
   * Removes a member from a sorted set.
   * @returns true when it was there.
   */
  sortedRemove(set: string, member: string): Promise<boolean>;

  /**
   * Sends a message to everyone subscribed to the channel right now (including subscribers
   * on other connections to the same data). At most once and live only, like Redis pub/sub:
   * nothing is kept for subscribers that come later or are disconnected.
   */
  publish(channel: string, message: Uint8Array): Promise<void>;

  /**
   * Calls `handler` for each message published on the channel after this promise resolves,
   * in publish order. An exception thrown by the handler is logged and does not stop
   * delivery.
   * @returns a function that ends this subscription.
   */
  subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe>;

  /**
   * Appends an entry to a stream; streams are created by their first append and keep every
   * entry.
   * @returns the entry's offset: a string of 20 decimal digits (the entry's sequence number in
   *   the stream, starting at 1, zero-padded), so offsets compare in append order as plain
   *   strings. Both backends use this format.
   */
  append(stream: string, entry: Uint8Array): Promise<string>;

  /**
   * Reads entries in append order, starting after the offset `after` (exclusive; from the
   * beginning when omitted), at most `limit` of them. A missing stream is empty.
   */
  read(stream: string, options?: ReadOptions): Promise<StreamRecord[]>;

  /**
   * Remembers how far a consumer has read a stream, so that it can resume after a restart.
   * Any well-formed offset is accepted, including one behind the current position (rewind).
   */
  commitOffset(stream: string, consumer: string, offset: string): Promise<void>;

  /** The offset a consumer last committed, or `undefined`. */
  getOffset(stream: string, consumer: string): Promise<string | undefined>;

  /**
   * Ends subscriptions, waits for writes in flight and releases connections and files.
   * Calling it again does nothing; any other call afterwards fails.
   */
  close(): Promise<void>;
}

/** A stored value with its version. */
export interface Entry {
  readonly value: Uint8Array;
  /** 1 after the first put, increased by 1 on each put. */
  readonly version: number;
}

/** An entry together with its key, as listed by {@link Store.scan}. */
export interface ScannedEntry extends Entry {
  readonly key: string;
}

/** Options of {@link Store.put}. */
export interface PutOptions {
  /**
   * Write only if the current version is this (0: only if the key does not exist).
   * @default undefined (unconditional write)
   */
  expectedVersion?: number;
}

/** Options of {@link Store.delete}. */
export interface DeleteOptions {
  /**
   * Delete only if the current version is this.
   * @default undefined (unconditional delete)
   */
  expectedVersion?: number;
}

/** Options of {@link Store.scan}. */
export interface ScanOptions {
  /**
   * List only keys strictly after this one (the last key of the previous page).
   * @default undefined (from the first key with the prefix)
   */
  after?: string;
  /**
   * At most this many entries (a positive integer).
   * @default undefined (all of them)
   */
  limit?: number;
}

/** Options of {@link Store.sortedRange}. */
export interface SortedRangeOptions {
  /**
   * Lowest score included.
   * @default -Infinity
   */
  min?: number;
  /**
   * Highest score included.
   * @default Infinity
   */
  max?: number;
  /**
   * At most this many members (a positive integer).
   * @default undefined (all of them)
   */
  limit?: number;
  /**
   * Highest scores first.
   * @default false
   */
  reverse?: boolean;
}

/** A member of a sorted set with its score. */
export interface SortedMember {
  readonly member: string;
  readonly score: number;
}

/** Options of {@link Store.read}. */
export interface ReadOptions {
  /**
   * Start after this offset (exclusive).
   * @default undefined (from the first entry)
   */
  after?: string;
  /**
   * At most this many entries (a positive integer).
   * @default undefined (all of them)
   */
  limit?: number;
}

/** One stream entry with its offset. */
export interface StreamRecord {
  readonly offset: string;
  readonly entry: Uint8Array;
}

/** Receives the messages of a subscription. */
export type MessageHandler = (message: Uint8Array) => void;

/** Ends a subscription; calling it again does nothing. */
export type Unsubscribe = () => Promise<void>;

/**
 * Where a store reports what it cannot throw to a caller (a truncated log tail, a failing
 * subscription handler). Stores depend on no logging library: pass a function that forwards
 * to the service's logger.
 */
export type StoreLogger = (
  level: 'info' | 'warn' | 'error',
  message: string,
  details?: Record<string, unknown>,
) => void;
