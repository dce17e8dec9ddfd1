import { openMemoryStore } from './memory/memory-store';
import type { RedisStoreOptions } from './redis/redis-store';
import type { Store } from './store';

/** Which Store a service runs on: the embedded one (in memory, logged to a file) or Redis. */
export type StoreConfig =
  { backend: 'memory'; file: string } | ({ backend: 'redis' } & RedisStoreOptions);

/**
 * Opens the configured Store. The Redis client library (ioredis, about 16 MB of resident memory
 * once loaded) is loaded only when Redis is chosen, so a service on the embedded store never
 * carries it.
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.backend === 'memory') return openMemoryStore({ file: config.file });
  // A lazy load has to be a require here: this package is CommonJS, and jest runs it without
  // native import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const redis = require('./redis/redis-store') as typeof import('./redis/redis-store');
  return redis.createRedisStore(config);
}
