import { join } from 'node:path';
import { openMemoryStore } from './memory/memory-store';
import type { RedisStoreOptions } from './redis/redis-store';
import type { Store } from './store';

/** Which Store a service runs on: the embedded one (in memory, logged to a file) or Redis. */
export type StoreConfig =
  { backend: 'memory'; file: string } | ({ backend: 'redis' } & RedisStoreOptions);

/** The Store settings every service shares (`dataDir` and `store` in @verdict/config). */
export interface ServiceStoreSettings {
  dataDir: string;
  store: { backend: 'memory' | 'redis'; redisUrl?: string };
}

/**
 * The Store a service's settings choose: Redis at `store.redisUrl` (the config schema requires it
 * for that backend), or the embedded store logged to `<dataDir>/store.log`.
 */
export function serviceStoreConfig(settings: ServiceStoreSettings): StoreConfig {
  return settings.store.backend === 'redis'
    ? { backend: 'redis', url: settings.store.redisUrl }
    : { backend: 'memory', file: join(settings.dataDir, 'store.log') };
}

/**
 * Opens the configured Store. The Redis client library (ioredis) is loaded only when Redis is
 * chosen, so a service on the embedded store never carries its memory
 * (docs/decisions.md#measured-costs-behind-code-choices).
 */
export async function openStore(config: StoreConfig): Promise<Store> {
  if (config.backend === 'memory') return openMemoryStore({ file: config.file });
  // A lazy load has to be a require here: this package is CommonJS, and jest runs it without
  // native import().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const redis = require('./redis/redis-store') as typeof import('./redis/redis-store');
  return redis.createRedisStore(config);
}
