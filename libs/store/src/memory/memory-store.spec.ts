import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeStoreContract } from '../contract/store-contract';
import type { Store } from '../store';
import { createMemoryStore, openMemoryStore, type MemoryStoreOptions } from './memory-store';

describeStoreContract('memory store', async () => {
  const store = createMemoryStore();
  return { store, dispose: () => store.close() };
});

// The default fsync mode; append-log.spec.ts covers what the other modes change.
describeStoreContract('memory store with a file', async () => openWithFile({}), { durable: true });

async function openWithFile(options: MemoryStoreOptions) {
  const directory = await mkdtemp(join(tmpdir(), 'verdict-store-'));
  const file = join(directory, 'store.log');
  let store: Store = await openMemoryStore({ ...options, file });
  return {
    store,
    async restart() {
      await store.close();
      store = await openMemoryStore({ ...options, file });
      return store;
    },
    async dispose() {
      await store.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
}
