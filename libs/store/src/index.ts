export type {
  Store,
  Entry,
  ScannedEntry,
  PutOptions,
  DeleteOptions,
  ScanOptions,
  SortedRangeOptions,
  SortedMember,
  ReadOptions,
  StreamRecord,
  MessageHandler,
  Unsubscribe,
  StoreLogger,
} from './store';
export { VersionConflictError } from './version-conflict-error';
export { createMemoryStore, openMemoryStore } from './memory/memory-store';
export type { MemoryStore, MemoryStoreOptions } from './memory/memory-store';
export type { FsyncMode } from './memory/append-log';
export { openStore, serviceStoreConfig } from './open-store';
export type { ServiceStoreSettings, StoreConfig } from './open-store';
export type { RedisStoreOptions } from './redis/redis-store';
export { startRedisServer } from './testing/redis-server';
export type { RedisServer, StartRedisServerOptions } from './testing/redis-server';
