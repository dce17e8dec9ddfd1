import { join } from 'node:path';
import {
  createAuditSink,
  createAuditedAccess,
  createGrpcAuditTransport,
  type AuditSink,
  type AuditTransport,
} from '@verdict/audit-client';
import { UnavailableError } from '@verdict/errors';
import type { DenialEvent, ServiceContext } from '@verdict/grpc-kit';
import { registryV1, auditV1 } from '@verdict/proto';
import { createAuthorizer, loadPolicyFile, parsePolicy } from '@verdict/security';
import { openStore, serviceStoreConfig } from '@verdict/store';
import { createBlobStore } from './blob/blob-store';
import type { Config } from './config';
import { loadKeyFile, parseInlineKeys, type KeyRing } from './crypto/key-ring';
import { createRegistry } from './domain/registry';
import { createRegistryHandlers } from './handlers';

/** How long stopping waits for queued audit records to reach the audit service. */
const AUDIT_FLUSH_ON_STOP_MS = 5000;

/** The registry's setup step and denial hook for runServiceProcess. */
export interface RegistryService {
  setup(context: ServiceContext<Config>): Promise<{ stop: () => Promise<void> }>;
  /** Audits calls refused before they reach the registry (by the per-method check). */
  onDenied(event: DenialEvent): void;
}

/** Wires store, keys, blobs, audit and handlers from the configuration. */
export function createRegistryService(): RegistryService {
  let audit: AuditSink | undefined;
  return {
    onDenied(event) {
      audit?.record({
        actor: event.principal.id,
        action: 'authz.deny',
        resource: event.method,
        outcome: auditV1.Outcome.DENIED,
        details: { reason: event.reason },
      });
    },
    async setup({ config, server, logger, metrics }) {
      const store = await openStore(serviceStoreConfig(config));
      const keys = await openKeys(config);
      const transport = auditTransport(config);
      audit = await createAuditSink({
        transport,
        spoolFile: join(config.dataDir, 'audit-spool'),
        logger,
        metrics,
      });
      const policy =
        config.policyFile === undefined
          ? parsePolicy('roles: {}\nbindings: []\n', 'built-in deny-all policy')
          : await loadPolicyFile(config.policyFile);
      const blobs = createBlobStore({
        dir: config.dataDir,
        chunkBytes: config.registry.chunkBytes,
      });
      const registry = createRegistry({
        store,
        blobs,
        keys,
        access: createAuditedAccess(createAuthorizer(policy), audit),
        protectedAliases: config.registry.protectedAliases,
      });
      const recovered = await registry.recover();
      logger.info({ ...recovered, key_id: keys.activeKeyId }, 'registry storage ready');
      server.add(registryV1.RegistryService, createRegistryHandlers(registry));
      return {
        async stop() {
          // Without an audit service nothing can be flushed; the spool keeps the records.
          await audit?.close(config.audit.address === undefined ? 0 : AUDIT_FLUSH_ON_STOP_MS);
          (transport as { close?: () => void }).close?.();
          await store.close();
          await blobs.close();
        },
      };
    },
  };
}

function openKeys(config: Config): Promise<KeyRing> | KeyRing {
  const { keys, keyFile, activeKeyId } = config.registry;
  if (keys !== undefined) return parseInlineKeys(keys, activeKeyId);
  return loadKeyFile(keyFile ?? join(config.dataDir, 'keys.json'), activeKeyId);
}

function auditTransport(config: Config): AuditTransport {
  const address = config.audit.address;
  if (address === undefined) {
    // Records are kept in the spool, never dropped, until an audit address is configured.
    return {
      append: () =>
        Promise.reject(new UnavailableError('no audit address configured (VERDICT_AUDIT_ADDRESS)')),
    };
  }
  const { mode, caFile, certFile, keyFile } = config.tls;
  return createGrpcAuditTransport({
    address,
    transport:
      mode === 'mesh'
        ? { mode: 'mesh' }
        : { mode: 'mtls', caFile: caFile!, certFile: certFile!, keyFile: keyFile! },
  });
}
