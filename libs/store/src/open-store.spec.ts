import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openStore, serviceStoreConfig } from './open-store';

describe('serviceStoreConfig', () => {
  it('chooses the embedded store logged in the data directory, or Redis at its URL', () => {
    expect(serviceStoreConfig({ dataDir: '/var/lib/v', store: { backend: 'memory' } })).toEqual({
      backend: 'memory',
      file: join('/var/lib/v', 'store.log'),
    });
    expect(
      serviceStoreConfig({
        dataDir: '/var/lib/v',
        store: { backend: 'redis', redisUrl: 'redis://cache:6379' },
      }),
    ).toEqual({ backend: 'redis', url: 'redis://cache:6379' });
  });

  it('opens the embedded store in the data directory', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'verdict-open-store-'));
    try {
      const store = await openStore(serviceStoreConfig({ dataDir, store: { backend: 'memory' } }));
      await store.put('k', Buffer.from('v'));
      await store.close();
      expect(await readdir(dataDir)).toContain('store.log');
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});
