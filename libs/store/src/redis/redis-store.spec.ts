import { Redis } from 'ioredis';
import { describeStoreContract } from '../contract/store-contract';
import type { Store } from '../store';
import { startRedisServer, type RedisServer } from '../testing/redis-server';
import { createRedisStore } from './redis-store';

let server: RedisServer;
let namespaces = 0;

beforeAll(async () => {
  server = await startRedisServer();
});

afterAll(async () => {
  await server?.stop();
});

describeStoreContract(
  'redis store',
  async () => {
    // A key prefix per test keeps tests apart on one server.
    const keyPrefix = `test${++namespaces}:`;
    let store: Store = createRedisStore({ url: server.url, keyPrefix });
    return {
      store,
      connect: async () => createRedisStore({ url: server.url, keyPrefix }),
      async restart() {
        await store.close();
        store = createRedisStore({ url: server.url, keyPrefix });
        return store;
      },
      dispose: () => store.close(),
    };
  },
  { durable: true },
);

describe('redis store', () => {
  it('lays out keys under the prefix as documented', async () => {
    const client = new Redis(server.url);
    const store = createRedisStore({ client, keyPrefix: 'layout:' });
    try {
      await store.put('model/a', new Uint8Array([1, 2]));
      await store.incrementBy('hits', 2);
      await store.sortedAdd('board', 'm', 1.5);
      const offset = await store.append('events', new Uint8Array([9]));
      await store.commitOffset('events', 'worker', offset);
      expect((await client.keys('layout:*')).sort()).toEqual([
        'layout:c:hits',
        'layout:e:model/a',
        'layout:index',
        'layout:o:events',
        'layout:s:events',
        'layout:z:board',
      ]);
      expect(await client.hgetall('layout:e:model/a')).toEqual({ v: '\x01\x02', n: '1' });
      expect(await client.zrange('layout:index', 0, -1, 'WITHSCORES')).toEqual(['model/a', '0']);
      expect(await client.xrange('layout:s:events', '-', '+')).toEqual([['0-1', ['e', '\x09']]]);
    } finally {
      await store.close();
    }
    // A client passed in stays open for its owner.
    expect(await client.ping()).toBe('PONG');
    await client.quit();
  });

  it('reports an unreachable server as UNAVAILABLE', async () => {
    const unreachable = await startRedisServer();
    const url = unreachable.url;
    await unreachable.stop();
    const client = new Redis(url, {
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      lazyConnect: true,
    });
    client.on('error', () => undefined);
    const store = createRedisStore({ client });
    await expect(store.get('k')).rejects.toMatchObject({ name: 'UnavailableError', code: 14 });
    await store.close();
    // Its connection ended with the failed attempt (no retry strategy): nothing to disconnect.
    expect(client.status).toBe('end');
  });

  it('needs exactly one of url and client', () => {
    expect(() => createRedisStore({})).toThrow(/exactly one of url and client/);
  });
});
