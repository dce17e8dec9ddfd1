import { join } from 'node:path';
import { createAuditedAccess } from '@verdict/audit-client';
import type { ServiceContext } from '@verdict/grpc-kit';
import { registryV1 } from '@verdict/proto';
import { openStore, serviceStoreConfig } from '@verdict/store';
import { createBlobStore } from './blob/blob-store';
import type { Config } from './config';
import { loadKeyFile, parseInlineKeys, type KeyRing } from './crypto/key-ring';
import { createRegistry } from './domain/registry';
import { createRegistryHandlers } from './handlers';

/**
 * The registry's setup step for runServiceProcess: opens the store, the key ring and the blob
 * directory, recovers what a crash left, and adds the RegistryService.
 */
export async function setupRegistry({
  config,
  server,
  logger,
  authorizer,
  audit,
}: ServiceContext<Config>): Promise<{ stop: () => Promise<void> }> {
  const store = await openStore(serviceStoreConfig(config));
  const keys = await openKeys(config);
  const blobs = createBlobStore({ dir: config.dataDir, chunkBytes: config.registry.chunkBytes });
  const registry = createRegistry({
    store,
    blobs,
    keys,
    access: createAuditedAccess(authorizer, audit),
    protectedAliases: config.registry.protectedAliases,
  });
  const recovered = await registry.recover();
  logger.info({ ...recovered, key_id: keys.activeKeyId }, 'registry storage ready');
  server.add(registryV1.RegistryService, createRegistryHandlers(registry));
  return {
    async stop() {
      await store.close();
      await blobs.close();
    },
  };
}

function openKeys(config: Config): Promise<KeyRing> | KeyRing {
  const { keys, keyFile, activeKeyId } = config.registry;
  if (keys !== undefined) return parseInlineKeys(keys, activeKeyId);
  return loadKeyFile(keyFile ?? join(config.dataDir, 'keys.json'), activeKeyId);
}
