import type { Actor } from '@verdict/audit-client';
import type { registryV1 } from '@verdict/proto';
import { aliasHistory, getAlias, setAlias, watchAliases } from './alias-operations';
import { recover, rewrapKeys } from './key-maintenance';
import { createModel, getModel, listModels, type ModelInit } from './models';
import {
  createRegistryContext,
  type RegistryOptions,
  type VersionSelector,
} from './registry-context';
import { uploadVersion } from './upload-version';
import {
  archiveVersion,
  downloadVersion,
  getVersion,
  listVersions,
  type Download,
} from './versions';
import type { WatchEvent } from './watch';

export type { Download, ModelInit, RegistryOptions, VersionSelector };

type Model = registryV1.Model;
type ModelVersion = registryV1.ModelVersion;

/**
 * The registry's operations, free of any transport. Each lives in the module of its area
 * (models, upload-version, versions, alias-operations, key-maintenance) as a function over the
 * shared {@link createRegistryContext | context}.
 */
export interface Registry {
  createModel(actor: Actor, init: ModelInit): Promise<Model>;
  getModel(actor: Actor, name: string): Promise<{ model: Model; aliases: registryV1.Alias[] }>;
  listModels(
    actor: Actor,
    query: { team?: string; tag?: string; pageSize?: number; pageToken?: string },
  ): Promise<{ models: Model[]; nextPageToken: string }>;
  uploadVersion(
    actor: Actor,
    header: registryV1.UploadHeader,
    chunks: AsyncIterable<Uint8Array>,
  ): Promise<{ version: ModelVersion; created: boolean }>;
  getVersion(actor: Actor, model: string, selector: VersionSelector): Promise<ModelVersion>;
  listVersions(
    actor: Actor,
    query: { model: string; includeArchived?: boolean; pageSize?: number; pageToken?: string },
  ): Promise<{ versions: ModelVersion[]; nextPageToken: string }>;
  downloadVersion(
    actor: Actor,
    model: string,
    selector: VersionSelector,
    offset: bigint,
  ): Promise<Download>;
  setAlias(
    actor: Actor,
    request: { model: string; alias: string; version: bigint; expectedVersion?: bigint },
  ): Promise<{ alias: registryV1.Alias; move: registryV1.AliasMove }>;
  getAlias(
    actor: Actor,
    model: string,
    alias: string,
  ): Promise<{ alias: registryV1.Alias; version: ModelVersion }>;
  aliasHistory(
    actor: Actor,
    query: { model: string; alias?: string; pageSize?: number; pageToken?: string },
  ): Promise<{ moves: registryV1.AliasMove[]; nextPageToken: string }>;
  watchAliases(
    actor: Actor,
    keys: readonly { model: string; alias: string }[],
    afterRevision: bigint,
    signal: AbortSignal,
  ): AsyncGenerator<WatchEvent>;
  archiveVersion(
    actor: Actor,
    model: string,
    version: bigint,
    reason: string,
  ): Promise<ModelVersion>;
  rewrapKeys(
    actor: Actor,
    request: { keyId?: string; model?: string },
  ): Promise<{ keyId: string; rewrapped: number; unchanged: number }>;
  /** Start-up recovery: deletes what a crashed upload left and applies a half-done alias move. */
  recover(): Promise<{ removedTemporary: number; removedBlobs: number; removedKeys: number }>;
}

/** Creates the registry over its store, blob store, key ring and access checks. */
export function createRegistry(options: RegistryOptions): Registry {
  const context = createRegistryContext(options);
  return {
    createModel: (actor, init) => createModel(context, actor, init),
    getModel: (actor, name) => getModel(context, actor, name),
    listModels: (actor, query) => listModels(context, actor, query),
    uploadVersion: (actor, header, chunks) => uploadVersion(context, actor, header, chunks),
    getVersion: (actor, name, selector) => getVersion(context, actor, name, selector),
    listVersions: (actor, query) => listVersions(context, actor, query),
    downloadVersion: (actor, name, selector, offset) =>
      downloadVersion(context, actor, name, selector, offset),
    setAlias: (actor, request) => setAlias(context, actor, request),
    getAlias: (actor, name, alias) => getAlias(context, actor, name, alias),
    aliasHistory: (actor, query) => aliasHistory(context, actor, query),
    watchAliases: (actor, keys, afterRevision, signal) =>
      watchAliases(context, actor, keys, afterRevision, signal),
    archiveVersion: (actor, name, number, reason) =>
      archiveVersion(context, actor, name, number, reason),
    rewrapKeys: (actor, request) => rewrapKeys(context, actor, request),
    recover: () => recover(context),
  };
}
