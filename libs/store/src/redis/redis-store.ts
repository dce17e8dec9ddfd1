import { Redis } from 'ioredis';
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
  Store,
  StoreLogger,
  StreamRecord,
  Unsubscribe,
} from '../store';
import { compareUtf8 } from '../utf8-order';
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
import { translateRedisError, type CounterCall } from './redis-errors';
import { RedisKeys } from './redis-keys';
import { RedisSubscriptions } from './redis-pubsub';
import { withStoreScripts, type StoreScripts } from './redis-scripts';

/** Options of {@link createRedisStore}; give exactly one of `url` and `client`. */
export interface RedisStoreOptions {
  /**
   * Where to connect, e.g. `redis://127.0.0.1:6379/0`; the store owns this connection and
   * closes it on `close()`.
   * @default undefined
   */
  url?: string;
  /**
   * An existing connection to use instead (the store adds its script commands to it and leaves
   * it open on `close()`). Subscriptions use a duplicate of it.
   * @default undefined
   */
  client?: Redis;
  /**
   * Prepended to every Redis key and channel name, so that several stores (or tests) can share
   * one database.
   * @default 'verdict:'
   */
  keyPrefix?: string;
  /**
   * Receives connection errors and throwing subscription handlers.
   * @default undefined (nothing is reported)
   */
  logger?: StoreLogger;
}

const DEFAULT_KEY_PREFIX = 'verdict:';

/**
 * A {@link Store} on Redis (7.0 or later), for services with several replicas. Every operation
 * is one atomic Redis command or Lua script. Redis errors that mean the server cannot be
 * reached become `UnavailableError`.
 */
export function createRedisStore(options: RedisStoreOptions): Store {
  if ((options.url === undefined) === (options.client === undefined)) {
    throw new InvalidArgumentError({
      field: 'url',
      expected: 'exactly one of url and client',
      received: options.url === undefined ? 'neither' : 'both',
    });
  }
  const logger = options.logger ?? (() => undefined);
  const owned = options.client === undefined;
  const client = options.client ?? new Redis(options.url!);
  if (owned) {
    client.on('error', (error: Error) =>
      logger('warn', 'redis connection error', { error: error.message }),
    );
  }
  return new RedisStore(
    withStoreScripts(client),
    owned,
    new RedisKeys(checkText(options.keyPrefix ?? DEFAULT_KEY_PREFIX, 'keyPrefix')),
    logger,
  );
}

class RedisStore implements Store {
  private readonly subscriptions: RedisSubscriptions;
  private closed = false;

  constructor(
    private readonly client: Redis & StoreScripts,
    private readonly ownsClient: boolean,
    private readonly keys: RedisKeys,
    logger: StoreLogger,
  ) {
    this.subscriptions = new RedisSubscriptions(() => client.duplicate(), logger);
  }

  async get(key: string): Promise<Entry | undefined> {
    this.checkOpen();
    checkName(key, 'key');
    const [value, version] = await this.call('get', () =>
      this.client.hmgetBuffer(this.keys.entry(key), 'v', 'n'),
    );
    return value && version
      ? { value: bytes(value), version: Number(version.toString()) }
      : undefined;
  }

  async put(key: string, value: Uint8Array, options?: PutOptions): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkBytes(value, 'value');
    const expected = checkExpectedVersion(options?.expectedVersion, 'options.expectedVersion');
    const [conflict, version] = await this.call('put', () =>
      this.client.verdictStorePut(
        this.keys.entry(key),
        this.keys.index(),
        buffer(value),
        expected?.toString() ?? '',
        key,
      ),
    );
    if (conflict) {
      throw new VersionConflictError({ key, expectedVersion: expected!, actualVersion: version });
    }
    return version;
  }

  async delete(key: string, options?: DeleteOptions): Promise<boolean> {
    this.checkOpen();
    checkName(key, 'key');
    const expected = checkExpectedVersion(options?.expectedVersion, 'options.expectedVersion');
    const [conflict, result] = await this.call('delete', () =>
      this.client.verdictStoreDelete(
        this.keys.entry(key),
        this.keys.index(),
        expected?.toString() ?? '',
        key,
      ),
    );
    if (conflict) {
      throw new VersionConflictError({ key, expectedVersion: expected!, actualVersion: result });
    }
    return result === 1;
  }

  async incrementBy(key: string, delta: number): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkIntegerDelta(delta, 'delta');
    return this.call('incrementBy', () => this.client.incrby(this.keys.counter(key), delta), {
      key,
      delta,
    });
  }

  async incrementFloat(key: string, delta: number): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    checkFinite(delta, 'delta');
    const sum = await this.call(
      'incrementFloat',
      () => this.client.incrbyfloat(this.keys.counter(key), delta.toString()),
      { key, delta },
    );
    return Number(sum);
  }

  async getCounter(key: string): Promise<number> {
    this.checkOpen();
    checkName(key, 'key');
    const value = await this.call('getCounter', () => this.client.get(this.keys.counter(key)));
    return value === null ? 0 : Number(value);
  }

  async scan(prefix: string, options?: ScanOptions): Promise<ScannedEntry[]> {
    this.checkOpen();
    checkText(prefix, 'prefix');
    const after =
      options?.after === undefined ? undefined : checkText(options.after, 'options.after');
    const limit = checkLimit(options?.limit, 'options.limit') ?? -1;
    // Keys with the prefix lie between "[prefix" and "(prefix\xff": no UTF-8 byte is 0xFF.
    const min =
      after !== undefined && compareUtf8(after, prefix) >= 0
        ? Buffer.from(`(${after}`)
        : prefix === ''
          ? Buffer.from('-')
          : Buffer.from(`[${prefix}`);
    const max =
      prefix === ''
        ? Buffer.from('+')
        : Buffer.concat([Buffer.from(`(${prefix}`), Buffer.from([0xff])]);
    const flat = await this.call('scan', () =>
      this.client.verdictStoreScanBuffer(
        this.keys.index(),
        min,
        max,
        limit.toString(),
        this.keys.entry(''),
      ),
    );
    const result: ScannedEntry[] = [];
    for (let i = 0; i < flat.length; i += 3) {
      result.push({
        key: flat[i]!.toString('utf8'),
        value: bytes(flat[i + 1]!),
        version: Number(flat[i + 2]!.toString()),
      });
    }
    return result;
  }

  async sortedAdd(set: string, member: string, score: number): Promise<void> {
    this.checkOpen();
    checkName(set, 'set');
    checkName(member, 'member');
    checkFinite(score, 'score');
    await this.call('sortedAdd', () =>
      this.client.zadd(this.keys.sorted(set), score.toString(), member),
    );
  }

  async sortedRange(set: string, options?: SortedRangeOptions): Promise<SortedMember[]> {
    this.checkOpen();
    checkName(set, 'set');
    const min = scoreBound(checkBound(options?.min, 'options.min', -Infinity));
    const max = scoreBound(checkBound(options?.max, 'options.max', Infinity));
    const limit = checkLimit(options?.limit, 'options.limit') ?? -1;
    const key = this.keys.sorted(set);
    const flat = await this.call('sortedRange', () =>
      options?.reverse === true
        ? this.client.zrevrangebyscore(key, max, min, 'WITHSCORES', 'LIMIT', 0, limit)
        : this.client.zrangebyscore(key, min, max, 'WITHSCORES', 'LIMIT', 0, limit),
    );
    const result: SortedMember[] = [];
    for (let i = 0; i < flat.length; i += 2) {
      result.push({ member: flat[i]!, score: Number(flat[i + 1]) });
    }
    return result;
  }

  async sortedRemove(set: string, member: string): Promise<boolean> {
    this.checkOpen();
    checkName(set, 'set');
    checkName(member, 'member');
    return (
      (await this.call('sortedRemove', () => this.client.zrem(this.keys.sorted(set), member))) === 1
    );
  }

  async publish(channel: string, message: Uint8Array): Promise<void> {
    this.checkOpen();
    checkName(channel, 'channel');
    checkBytes(message, 'message');
    await this.call('publish', () =>
      this.client.publish(this.keys.channel(channel), buffer(message)),
    );
  }

  async subscribe(channel: string, handler: MessageHandler): Promise<Unsubscribe> {
    this.checkOpen();
    checkName(channel, 'channel');
    checkFunction(handler, 'handler');
    const unsubscribe = await this.call('subscribe', () =>
      this.subscriptions.subscribe(this.keys.channel(channel), handler),
    );
    return () => this.call('unsubscribe', unsubscribe);
  }

  async append(stream: string, entry: Uint8Array): Promise<string> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkBytes(entry, 'entry');
    // IDs "0-<n>" (Redis 7 picks n): the sequence number is the whole ID, as in the memory store.
    const id = await this.call('append', () =>
      this.client.xadd(this.keys.stream(stream), '0-*', 'e', buffer(entry)),
    );
    return formatOffset(BigInt(id!.slice(id!.indexOf('-') + 1)));
  }

  async read(stream: string, options?: ReadOptions): Promise<StreamRecord[]> {
    this.checkOpen();
    checkName(stream, 'stream');
    const start =
      options?.after === undefined ? '-' : `(0-${parseOffset(options.after, 'options.after')}`;
    const limit = checkLimit(options?.limit, 'options.limit');
    const key = this.keys.stream(stream);
    const entries = await this.call('read', () =>
      limit === undefined
        ? this.client.xrangeBuffer(key, start, '+')
        : this.client.xrangeBuffer(key, start, '+', 'COUNT', limit),
    );
    return entries.map(([id, fields]) => {
      const text = id.toString();
      return {
        offset: formatOffset(BigInt(text.slice(text.indexOf('-') + 1))),
        entry: bytes(fields[1]!),
      };
    });
  }

  async commitOffset(stream: string, consumer: string, offset: string): Promise<void> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkName(consumer, 'consumer');
    parseOffset(offset, 'offset');
    await this.call('commitOffset', () =>
      this.client.hset(this.keys.offsets(stream), consumer, offset),
    );
  }

  async getOffset(stream: string, consumer: string): Promise<string | undefined> {
    this.checkOpen();
    checkName(stream, 'stream');
    checkName(consumer, 'consumer');
    return (
      (await this.call('getOffset', () => this.client.hget(this.keys.offsets(stream), consumer))) ??
      undefined
    );
  }

  async close(): Promise<void> {
    if (this.closed) {
      return;
    }
    this.closed = true;
    await this.subscriptions.close();
    if (this.ownsClient) {
      await this.client.quit().catch(() => this.client.disconnect());
    }
  }

  private checkOpen(): void {
    if (this.closed) {
      throw new FailedPreconditionError('the store is closed');
    }
  }

  /** Runs a Redis call and turns its failures into Verdict errors. */
  private async call<T>(
    operation: string,
    run: () => Promise<T>,
    counter?: CounterCall,
  ): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw translateRedisError(error, operation, counter);
    }
  }
}

function buffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** A plain Uint8Array copy, so a value never pins the parser's larger reply buffer. */
function bytes(reply: Buffer): Uint8Array {
  return new Uint8Array(reply);
}

function scoreBound(value: number): string {
  return value === -Infinity ? '-inf' : value === Infinity ? '+inf' : value.toString();
}
