import type { Redis } from 'ioredis';

/**
 * Lua scripts that make each entry operation one atomic step on the server: the version check,
 * the write and the lexicographic index change happen together or not at all. Registered
 * with `defineCommand`, so ioredis sends them by EVALSHA and falls back to EVAL once per
 * connection.
 *
 * An entry is a hash `{ v: value, n: version }`; the index is a sorted set of entry keys, all
 * with score 0, so that ZRANGEBYLEX lists them in byte order.
 */
const PUT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= current then
  return {1, current}
end
redis.call('HSET', KEYS[1], 'v', ARGV[1], 'n', current + 1)
if current == 0 then
  redis.call('ZADD', KEYS[2], 0, ARGV[3])
end
return {0, current + 1}
`;

const DELETE = `
local current = tonumber(redis.call('HGET', KEYS[1], 'n') or '0')
if ARGV[1] ~= '' and tonumber(ARGV[1]) ~= current then
  return {1, current}
end
if current == 0 then
  return {0, 0}
end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
return {0, 1}
`;

// Reads entries named by the index, which are not declared in KEYS: fine on a single Redis,
// not on Redis Cluster (see the README).
const SCAN = `
local keys = redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local result = {}
for _, key in ipairs(keys) do
  local entry = redis.call('HMGET', ARGV[4] .. key, 'v', 'n')
  if entry[1] and entry[2] then
    result[#result + 1] = key
    result[#result + 1] = entry[1]
    result[#result + 1] = entry[2]
  end
end
return result
`;

/** The commands the scripts add to a client. */
export interface StoreScripts {
  verdictStorePut(
    entryKey: string,
    indexKey: string,
    value: Buffer,
    expectedVersion: string,
    key: string,
  ): Promise<[conflict: number, version: number]>;
  verdictStoreDelete(
    entryKey: string,
    indexKey: string,
    expectedVersion: string,
    key: string,
  ): Promise<[conflict: number, versionOrDeleted: number]>;
  verdictStoreScanBuffer(
    indexKey: string,
    min: Buffer,
    max: Buffer,
    count: string,
    entryPrefix: string,
  ): Promise<Buffer[]>;
}

/** Registers the scripts on a client (idempotent) and returns it with their commands. */
export function withStoreScripts(client: Redis): Redis & StoreScripts {
  client.defineCommand('verdictStorePut', { numberOfKeys: 2, lua: PUT });
  client.defineCommand('verdictStoreDelete', { numberOfKeys: 2, lua: DELETE });
  client.defineCommand('verdictStoreScan', { numberOfKeys: 1, lua: SCAN });
  return client as Redis & StoreScripts;
}
