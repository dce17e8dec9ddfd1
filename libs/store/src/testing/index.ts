/**
 * `@verdict/store/testing`: a real Redis server on a free port for tests of Redis-backed code.
 * Kept out of the main entry point so production code never loads it.
 */
export { startRedisServer } from './redis-server';
export type { RedisServer, StartRedisServerOptions } from './redis-server';
