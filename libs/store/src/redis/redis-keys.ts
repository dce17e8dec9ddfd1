/**
 * Names of the Redis keys and channels of one store (see the README's key layout). Each kind
 * has its own letter after the prefix, which keeps the Store's namespaces apart.
 */
export class RedisKeys {
  constructor(private readonly prefix: string) {}

  /** Hash `{ v: value, n: version }` of one entry. */
  entry(key: string): string {
    return `${this.prefix}e:${key}`;
  }

  /** Sorted set of all entry keys, score 0, for ordered scans. */
  index(): string {
    return `${this.prefix}index`;
  }

  /** String holding a counter (integer or float). */
  counter(key: string): string {
    return `${this.prefix}c:${key}`;
  }

  /** Sorted set. */
  sorted(set: string): string {
    return `${this.prefix}z:${set}`;
  }

  /** Pub/sub channel. */
  channel(channel: string): string {
    return `${this.prefix}ch:${channel}`;
  }

  /** Stream of entries, each with the single field `e`. */
  stream(stream: string): string {
    return `${this.prefix}s:${stream}`;
  }

  /** Hash consumer -> committed offset of one stream. */
  offsets(stream: string): string {
    return `${this.prefix}o:${stream}`;
  }
}
