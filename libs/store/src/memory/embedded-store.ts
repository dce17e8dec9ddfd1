import { FailedPreconditionError, InvalidArgumentError } from '@verdict/errors';
import { formatOffset, parseOffset } from '../offsets';
import type {
  DeleteOptions,
  Entry,
  MessageHandler,
  PutOptions,
  ReadOptions,
  ScanOptions,
  ScannedEntry,
  SortedMember,
  SortedRangeOptions,
  StoreLogger,
  StreamRecord,
  Unsubscribe,
} from '../store';
import {
  checkBound,
  checkBytes,
  checkExpectedVersion,
  checkFinite,
  checkFunction,
  checkIntegerDelta,
  checkLimit,
  checkName,
  checkText,
} from '../validate';
import { VersionConflictError } from '../version-conflict-error';
import type { AppendLog } from './append-log';
import type { MemoryState } from './memory-state';
import type { MemoryStore } from './memory-store';
import type { Mutation } from './mutation';

/**
 * The Store over a {@link MemoryState}, optionally logged to an {@link AppendLog}. Each call
 * checks and applies its mutation synchronously (before its first await), which is what
 * orders concurrent callers without locks.
 */
export class EmbeddedStore implements MemoryStore {
  private readonly subscriptions = new Map<string, Set<MessageHandler>>();
  private closed = false;

  constructor(
    private readonly state: MemoryState,
    private readonly log: AppendLog | undefined,
    private readonly logger: StoreLogger,
  ) {}

  async get(key: string): Promise<Entry | undefined> {
    this.checkOpen();
    checkName(key, 'key');
    const stored = this.state.entry(key);
    return stored && { value: copy(stored.value), version: stored.version };
  }

  async put(key: string, value: Uint8Array, options?: PutOptions): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkBytes(value, 'value');
    const expected = checkExpectedVersion(options?.expectedVersion, 'options.expectedVersion');
    const current = this.state.entry(key)?.version ?? 0;
    if (expected !== undefined && expected !== current) {
      throw new VersionConflictError({ key, expectedVersion: expected, actualVersion: current });
    }
    const version = current + 1;
    await this.commit({ kind: 'put', key, version, value: copy(value) });
    return version;
  }

  async delete(key: string, options?: DeleteOptions): Promise<boolean> {
    this.checkOpen();
    checkName(key, 'key');
    const expected = checkExpectedVersion(options?.expectedVersion, 'options.expectedVersion');
    const current = this.state.entry(key)?.version ?? 0;
    if (expected !== undefined && expected !== current) {
      throw new VersionConflictError({ key, expectedVersion: expected, actualVersion: current });
    }
    if (current === 0) {
      return false;
    }
    await this.commit({ kind: 'delete', key });
    return true;
  }

  async incrementBy(key: string, delta: number): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkIntegerDelta(delta, 'delta');
    const current = this.state.counter(key);
    if (!Number.isInteger(current)) {
      throw new FailedPreconditionError(
        `counter '${key}' holds the fractional sum ${current}; add to it with incrementFloat`,
      );
    }
    const value = current + delta;
    await this.commit({ kind: 'counter', key, value });
    return value;
  }

  async incrementFloat(key: string, delta: number): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkFinite(delta, 'delta');
    const value = this.state.counter(key) + delta;
    if (!Number.isFinite(value)) {
      throw new InvalidArgumentError({
        field: 'delta',
        expected: 'a delta that keeps the sum finite',
        received: String(delta),
      });
    }
    await this.commit({ kind: 'counter', key, value });
    return value;
  }

  async getCounter(key: string): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    return this.state.counter(key);
  }

  async scan(prefix: string, options?: ScanOptions): Promise<ScannedEntry[]> {
    this.checkOpen();
    checkText(prefix, 'prefix');
    const after =
      options?.after === undefined ? undefined : checkText(options.after, 'options.after');
    const limit = checkLimit(options?.limit, 'options.limit') ?? Infinity;
    return this.state
      .scan(prefix, after, limit)
      .map((entry) => ({ key: entry.key, value: copy(entry.value), version: entry.version }));
  }

  async sortedAdd(set: string, member: string, score: number): Promise<void> {
    this.checkOpen();
    checkName(set, 'set');
    checkName(member, 'member');
    checkFinite(score, 'score');
    if (this.state.sortedScore(set, member) !== score) {
      await this.commit({ kind: 'sortedAdd', set, member, score });
    }
  }

  async sortedRange(set: string, options?: SortedRangeOptions): Promise<SortedMember[]> {
    this.checkOpen();
    checkName(set, 'set');
    return this.state.sortedRange(set, {
      min: checkBound(options?.min, 'options.min', -Infinity),
      max: checkBound(options?.max, 'options.max', Infinity),
      limit: checkLimit(options?.limit, 'options.limit') ?? Infinity,
      reverse: options?.reverse === true,
    });
  }

  async sortedRemove(set: string, member: string): Promise<boolean> {
    this.checkOpen();
    checkName(set, 'set');
    checkName(member, 'member');
    if (this.state.sortedScore(set, member) === undefined) {
      return false;
    }
    await this.commit({ kind: 'sortedRemove', set, member });
    return true;
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    this.checkOpen();
    checkName(channel, 'channel');
    checkBytes(message, 'message');
    const handlers = this.subscriptions.get(channel);
    if (handlers === undefined) {
      return;
    }
    // Delivered after publish returns, as over a network; each handler gets its own copy.
    for (const handler of [...handlers]) {
      const delivered = copy(message);
      queueMicrotask(() => this.deliver(channel, handler, delivered));
    }
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.checkOpen();
    checkName(channel, 'channel');
    checkFunction(handler, 'handler');
    // A wrapper per subscription, so that subscribing one function twice gives two independent
    // subscriptions, as on Redis.
    const subscription: MessageHandler = (message) => handler(message);
    let handlers = this.subscriptions.get(channel);
    if (handlers === undefined) {
      handlers = new Set();
      this.subscriptions.set(channel, handlers);
    }
    handlers.add(subscription);
    return async () => {
      const current = this.subscriptions.get(channel);
      if (current?.delete(subscription) && current.size === 0) {
        this.subscriptions.delete(channel);
      }
    };
  }

  async append(stream: string, entry: Uint8Array): Promise<string> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkBytes(entry, 'entry');
    const sequence = this.state.streamLength(stream) + 1;
    await this.commit({ kind: 'append', stream, sequence, entry: copy(entry) });
    return formatOffset(sequence);
  }

  async read(stream: string, options?: ReadOptions): Promise<StreamRecord[]> {
    this.checkOpen();
    checkName(stream, 'stream');
    const after =
      options?.after === undefined ? 0 : Number(parseOffset(options.after, 'options.after'));
    const limit = checkLimit(options?.limit, 'options.limit') ?? Infinity;
    return this.state
      .read(stream, after, limit)
      .map((record) => ({ offset: record.offset, entry: copy(record.entry) }));
  }

  async commitOffset(stream: string, consumer: string, offset: string): Promise<void> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkName(consumer, 'consumer');
    parseOffset(offset, 'offset');
    if (this.state.offset(stream, consumer) !== offset) {
      await this.commit({ kind: 'offset', stream, consumer, offset });
    }
  }

  async getOffset(stream: string, consumer: string): Promise<string | undefined> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkName(consumer, 'consumer');
    return this.state.offset(stream, consumer);
  }

  async compact(): Promise<void> {
    this.checkOpen();
    await this.log?.compact();
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    this.subscriptions.clear();
    await this.log?.close();
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new FailedPreconditionError('the store is closed');
    }
    this.log?.checkUsable();
  }

  /** Applies a mutation in memory now and resolves when the log has it. */
  private commit(mutation: Mutation): Promise<void> | undefined {
    // Encoded and queued before it is applied: a mutation the log refuses never becomes visible.
    const written = this.log?.append(mutation);
    this.state.apply(mutation);
    return written;
  }

  private deliver(channel: string, handler: MessageHandler, message: Uint8Array): void {
    if (!this.subscriptions.get(channel)?.has(handler)) {
      return;
    }
    try {
      handler(message);
    } catch (error) {
      this.logger('error', 'store subscription handler threw', {
        channel,
        error: (error as Error)?.message,
      });
    }
  }
}

function copy(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(bytes);
}
