import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { createMemoryAuditSink, type MemoryAuditSink } from '@verdict/audit-client';
import { Code, isVerdictError } from '@verdict/errors';
import { buildMlp } from '@verdict/model-zoo';
import { registryV1 } from '@verdict/proto';
import { createAuthorizer, parsePolicy, type Principal } from '@verdict/security';
import {
  createMemoryStore,
  openStore,
  startRedisServer,
  type RedisServer,
  type Store,
} from '@verdict/store';
import { createBlobStore } from '../blob/blob-store';
import { createKeyRing, type KeyRing } from '../crypto/key-ring';
import { createAuditedAccess as createAccess, type Actor } from '@verdict/audit-client';
import { createRegistry, type Registry } from './registry';

const POLICY = `
roles:
  admin: ['*']
  publisher: [model:read, model:publish]
  deployer: [model:read, model:deploy]
  reader: [model:read]
bindings:
  - subjects: [root]
    roles: [admin]
  - subjects: [alice]
    roles: [publisher, deployer]
    teams: [team-a]
  - subjects: [bob]
    roles: [publisher, deployer]
    teams: [team-b]
  - subjects: [rita]
    roles: [reader]
`;
const user = (id: string): Actor => ({
  principal: { kind: 'user', id, issuer: 'test', groups: [] } satisfies Principal,
  traceId: 'trace-' + id,
});
const root = user('root');
const CHUNK = 4096;
const model1 = buildMlp({ inputSize: 8, hiddenSizes: [256], outputSize: 3, seed: 1 });
const model2 = buildMlp({ inputSize: 8, hiddenSizes: [256], outputSize: 3, seed: 2 });
const sha = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

async function* chunksOf(bytes: Uint8Array, size = 1000): AsyncGenerator<Uint8Array> {
  for (let i = 0; i < bytes.length; i += size) yield bytes.subarray(i, i + size);
}

async function collect(chunks: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(Buffer.from(chunk));
  return Buffer.concat(parts);
}

async function codeOf(promise: Promise<unknown>): Promise<Code | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (isVerdictError(error)) return error.code;
    throw error;
  }
}

interface Harness {
  store: Store;
  registry: Registry;
  audit: MemoryAuditSink;
  dir: string;
  open(keys?: KeyRing): Registry;
}

const K1 = randomBytes(32);
const ring1 = createKeyRing(new Map([['k1', K1]]), 'k1');

const backends: Array<[string, () => Promise<{ store: Store; stop(): Promise<void> }>]> = [
  [
    'memory',
    async () => {
      const store = createMemoryStore();
      return { store, stop: () => store.close() };
    },
  ],
  [
    'redis',
    async () => {
      const server: RedisServer = await startRedisServer();
      const store = await openStore({ backend: 'redis', url: server.url });
      return {
        store,
        stop: async () => {
          await store.close();
          await server.stop();
        },
      };
    },
  ],
];

describe.each(backends)('registry on the %s store', (_name, openStore) => {
  let h: Harness;
  let stop: () => Promise<void>;

  beforeEach(async () => {
    const opened = await openStore();
    stop = opened.stop;
    const dir = await mkdtemp(join(tmpdir(), 'verdict-registry-'));
    const audit = createMemoryAuditSink();
    const authorizer = createAuthorizer(parsePolicy(POLICY));
    const open = (keys: KeyRing = ring1) =>
      createRegistry({
        store: opened.store,
        blobs: createBlobStore({ dir, chunkBytes: CHUNK }),
        keys,
        access: createAccess(authorizer, audit),
      });
    const registry = open();
    await registry.recover();
    h = { store: opened.store, registry, audit, dir, open };
    await registry.createModel(root, { name: 'spam', team: 'team-a' });
    await registry.createModel(root, { name: 'fraud', team: 'team-b' });
  });

  afterEach(async () => {
    await stop();
    await rm(h.dir, { recursive: true, force: true });
  });

  const header = (
    bytes: Uint8Array,
    extra: {
      model?: string;
      sha256?: string;
      sizeBytes?: bigint;
      createTeam?: string;
      createDescription?: string;
    } = {},
  ) =>
    create(registryV1.UploadHeaderSchema, {
      model: 'spam',
      sha256: sha(bytes),
      sizeBytes: BigInt(bytes.length),
      ...extra,
    });
  const push = (
    bytes: Uint8Array,
    actor = root,
    extra: { model?: string; sha256?: string; sizeBytes?: bigint } = {},
  ) => h.registry.uploadVersion(actor, header(bytes, extra), chunksOf(bytes));
  const download = async (selector: { version: bigint } | { alias: string }, offset = 0n) =>
    collect((await h.registry.downloadVersion(root, 'spam', selector, offset)).chunks);
  const tmpFiles = () => readdir(join(h.dir, 'tmp'));

  it('pushes a model to READY and downloads the same bytes, from any offset', async () => {
    const { version, created } = await push(model1);
    expect(created).toBe(true);
    expect(version.number).toBe(1n);
    expect(version.state).toBe(registryV1.VersionState.READY);
    expect(version.keyId).toBe('k1');
    expect(version.signature?.inputs[0]).toMatchObject({ datatype: 'FP32', shape: [-1n, 8n] });
    expect(sha(await download({ version: 1n }))).toBe(sha(model1));
    const offset = 5000n;
    expect(
      (await download({ version: 1n }, offset)).equals(Buffer.from(model1.subarray(5000))),
    ).toBe(true);
    expect(h.audit.records.map((r) => r.action)).toContain('model.version.create');
  });

  it('never alters an existing version: other bytes make a new version, identical bytes return the old one', async () => {
    await push(model1);
    const second = await push(model2);
    expect(second.version.number).toBe(2n);
    const again = await push(model1);
    expect(again).toMatchObject({ created: false, version: { number: 1n } });
    expect(sha(await download({ version: 1n }))).toBe(sha(model1));
    expect(sha(await download({ version: 2n }))).toBe(sha(model2));
  });

  it('refuses a wrong digest, a truncated stream, a non-ONNX file and an invalid name, leaving nothing behind', async () => {
    expect(await codeOf(push(model1, root, { sha256: sha(model2) }))).toBe(Code.INVALID_ARGUMENT);
    const truncated = model1.subarray(0, model1.length - 100);
    expect(
      await codeOf(
        h.registry.uploadVersion(root, header(model1, { sizeBytes: 0n }), chunksOf(truncated)),
      ),
    ).toBe(Code.INVALID_ARGUMENT);
    const text = Buffer.from('this is not an onnx model, just some text\n'.repeat(50));
    expect(await codeOf(push(text))).toBe(Code.INVALID_ARGUMENT);
    expect(await codeOf(h.registry.createModel(root, { name: 'Bad_Name', team: 'team-a' }))).toBe(
      Code.INVALID_ARGUMENT,
    );
    expect(await codeOf(push(model1, root, { model: 'Bad_Name' }))).toBe(Code.INVALID_ARGUMENT);
    expect(await tmpFiles()).toEqual([]);
    expect(await readdir(join(h.dir, 'blobs'))).toEqual([]);
    expect((await h.registry.listVersions(root, { model: 'spam' })).versions).toEqual([]);
  });

  it('creates a model with its first upload only when the upload is accepted: a refused one leaves no model, version or blob', async () => {
    const creating = { model: 'ham', createTeam: 'team-a', createDescription: 'first push' };
    const text = Buffer.from('this is not an onnx model, just some text\n'.repeat(50));
    const refused = h.registry.uploadVersion(root, header(text, creating), chunksOf(text));
    expect(await codeOf(refused)).toBe(Code.INVALID_ARGUMENT);
    expect(await codeOf(h.registry.getModel(root, 'ham'))).toBe(Code.NOT_FOUND);
    expect(await h.store.scan('model/ham')).toEqual([]);
    expect(await h.store.scan('version/ham/')).toEqual([]);
    expect(await readdir(join(h.dir, 'blobs'))).toEqual([]);
    expect(h.audit.records.filter((r) => r.resource === 'model/ham')).toEqual([]);

    const { version } = await h.registry.uploadVersion(
      root,
      header(model1, creating),
      chunksOf(model1),
    );
    expect(version.number).toBe(1n);
    const { model } = await h.registry.getModel(root, 'ham');
    expect(model).toMatchObject({ team: 'team-a', description: 'first push', latestVersion: 1n });
    expect(
      await codeOf(
        h.registry.uploadVersion(user('rita'), header(model2, creating), chunksOf(model2)),
      ),
    ).toBe(Code.PERMISSION_DENIED);
    expect(
      await codeOf(
        h.registry.uploadVersion(
          root,
          header(model2, { model: 'eggs', createTeam: 'Team A' }),
          chunksOf(model2),
        ),
      ),
    ).toBe(Code.INVALID_ARGUMENT);
  });

  it('keeps no plaintext on disk, and a flipped byte makes the download fail with DATA_LOSS', async () => {
    const { version } = await push(model1);
    const files = await listFiles(h.dir);
    expect(files.length).toBeGreaterThan(0);
    const plaintext = Buffer.from(model1);
    const magic = plaintext.subarray(0, 16);
    for (const file of files) {
      const bytes = await readFile(file);
      expect(bytes.indexOf(magic)).toBe(-1);
      for (let i = 0; i + 64 <= plaintext.length; i += 1) {
        if (bytes.indexOf(plaintext.subarray(i, i + 64)) !== -1)
          throw new Error(`plaintext run at ${i} found in ${file}`);
      }
    }
    const blobPath = createBlobStore({ dir: h.dir }).pathOf(version.sha256);
    const stored = await readFile(blobPath);
    stored[Math.floor(stored.length / 2)] ^= 0x01;
    await writeFile(blobPath, stored);
    expect(await codeOf(download({ version: 1n }))).toBe(Code.DATA_LOSS);
    await writeFile(blobPath, stored.subarray(0, stored.length - 10));
    expect(await codeOf(download({ version: 1n }))).toBe(Code.DATA_LOSS);
  });

  it('rotates keys: after re-wrapping under a new key every version downloads without the old key', async () => {
    await push(model1);
    await push(model2);
    const k2 = randomBytes(32);
    const both = createKeyRing(
      new Map([
        ['k1', K1],
        ['k2', k2],
      ]),
      'k2',
    );
    const rotated = h.open(both);
    const result = await rotated.rewrapKeys(root, {});
    expect(result).toEqual({ keyId: 'k2', rewrapped: 2, unchanged: 0 });
    expect(await rotated.rewrapKeys(root, {})).toEqual({ keyId: 'k2', rewrapped: 0, unchanged: 2 });
    const onlyNew = h.open(createKeyRing(new Map([['k2', k2]]), 'k2'));
    for (const [n, bytes] of [
      [1n, model1],
      [2n, model2],
    ] as const) {
      const d = await onlyNew.downloadVersion(root, 'spam', { version: n }, 0n);
      expect(d.version.keyId).toBe('k2');
      expect(sha(await collect(d.chunks))).toBe(sha(bytes));
    }
    expect(h.audit.records.some((r) => r.action === 'key.rewrap')).toBe(true);
    // Before re-wrapping, a ring without k1 cannot read a k1 blob.
    await push(buildMlp({ inputSize: 4, hiddenSizes: [], outputSize: 2, seed: 3 }));
    expect(await codeOf(onlyNew.downloadVersion(root, 'spam', { version: 3n }, 0n))).toBe(
      Code.FAILED_PRECONDITION,
    );
  });

  it('orders concurrent alias moves: both are in the history and the alias ends at the later one', async () => {
    await push(model1);
    await push(model2);
    const [a, b] = await Promise.all([
      h.registry.setAlias(user('root'), { model: 'spam', alias: 'canary', version: 1n }),
      h.registry.setAlias(user('root'), { model: 'spam', alias: 'canary', version: 2n }),
    ]);
    expect(a.move.revision).not.toBe(b.move.revision);
    const later = a.move.revision > b.move.revision ? a : b;
    const earlier = later === a ? b : a;
    const { moves } = await h.registry.aliasHistory(root, { model: 'spam', alias: 'canary' });
    expect(moves.map((m) => m.revision)).toEqual([later.move.revision, earlier.move.revision]);
    expect(later.move.fromVersion).toBe(earlier.move.toVersion);
    expect((await h.registry.getAlias(root, 'spam', 'canary')).alias.version).toBe(
      later.move.toVersion,
    );
    expect(
      await codeOf(
        h.registry.setAlias(root, {
          model: 'spam',
          alias: 'canary',
          version: 1n,
          expectedVersion: 7n,
        }),
      ),
    ).toBe(Code.ABORTED);
  });

  it('lets a watcher that disconnects resume from its last revision and see every move exactly once', async () => {
    await push(model1);
    await push(model2);
    const seen: bigint[] = [];
    const first = new AbortController();
    const watch1 = h.registry.watchAliases(root, [{ model: 'spam', alias: '' }], 0n, first.signal);
    await h.registry.setAlias(root, { model: 'spam', alias: 'staging', version: 1n });
    let synced = false;
    for await (const event of watch1) {
      if ('synced' in event) synced = true;
      else seen.push(event.move.revision);
      if (synced && seen.length === 1) break;
    }
    const last = seen.at(-1)!;
    // Moves made while nobody watches.
    for (const v of [2n, 1n, 2n])
      await h.registry.setAlias(root, { model: 'spam', alias: 'staging', version: v });
    const second = new AbortController();
    const watch2 = h.registry.watchAliases(
      root,
      [{ model: 'spam', alias: '' }],
      last,
      second.signal,
    );
    const live = (async () => {
      for await (const event of watch2) {
        if ('move' in event) seen.push(event.move.revision);
        if (seen.length === 6) break;
      }
    })();
    await h.registry.setAlias(root, { model: 'spam', alias: 'staging', version: 1n });
    await h.registry.setAlias(root, { model: 'spam', alias: 'canary', version: 2n });
    await live;
    expect(seen).toEqual([1n, 2n, 3n, 4n, 5n, 6n]);
  });

  it('scopes RBAC to teams and audits each denial', async () => {
    const alice = user('alice');
    await push(model1, alice);
    await h.registry.setAlias(alice, { model: 'spam', alias: 'staging', version: 1n });
    await h.registry.uploadVersion(root, header(model2, { model: 'fraud' }), chunksOf(model2));
    const denied = await codeOf(
      h.registry.setAlias(alice, { model: 'fraud', alias: 'staging', version: 1n }),
    );
    expect(denied).toBe(Code.PERMISSION_DENIED);
    await expect(
      h.registry.setAlias(alice, { model: 'fraud', alias: 'staging', version: 1n }),
    ).rejects.toThrow(/model:deploy/);
    await expect(push(model2, user('rita'))).rejects.toThrow(/model:publish/);
    await expect(
      h.registry.setAlias(alice, { model: 'spam', alias: 'production', version: 1n }),
    ).rejects.toThrow(/model:deploy:production/);
    const denials = h.audit.records.filter((r) => r.action === 'authz.deny');
    expect(denials.map((r) => [r.actor, r.details.permission])).toEqual([
      ['alice', 'model:deploy'],
      ['alice', 'model:deploy'],
      ['rita', 'model:publish'],
      ['alice', 'model:deploy:production'],
    ]);
    expect(denials.every((r) => r.outcome === 3 && r.traceId !== '')).toBe(true);
    // Listings only show what the caller may read.
    expect((await h.registry.listModels(alice, {})).models.map((m) => m.name)).toEqual(['spam']);
  });

  it('archives a version only when no alias points at it', async () => {
    await push(model1);
    await h.registry.setAlias(root, { model: 'spam', alias: 'staging', version: 1n });
    expect(await codeOf(h.registry.archiveVersion(root, 'spam', 1n, 'old'))).toBe(
      Code.FAILED_PRECONDITION,
    );
    await push(model2);
    await h.registry.setAlias(root, { model: 'spam', alias: 'staging', version: 2n });
    const archived = await h.registry.archiveVersion(root, 'spam', 1n, 'old');
    expect(archived.state).toBe(registryV1.VersionState.ARCHIVED);
    expect(
      await codeOf(h.registry.setAlias(root, { model: 'spam', alias: 'canary', version: 1n })),
    ).toBe(Code.FAILED_PRECONDITION);
    expect(
      (await h.registry.listVersions(root, { model: 'spam' })).versions.map((v) => v.number),
    ).toEqual([2n]);
  });

  it('cleans up after a crash mid-upload on the next start', async () => {
    await push(model1);
    await writeFile(join(h.dir, 'tmp', 'crashed.part'), randomBytes(100));
    // A blob renamed into place whose version record was never written.
    const orphan = 'ab'.repeat(32);
    const orphanPath = createBlobStore({ dir: h.dir }).pathOf(orphan);
    await mkdir(join(orphanPath, '..'), { recursive: true });
    await writeFile(orphanPath, randomBytes(100));
    await h.store.put(`blobkey/${orphan}`, Buffer.from('{}'));
    const result = await h.open().recover();
    expect(result).toEqual({ removedTemporary: 1, removedBlobs: 1, removedKeys: 1 });
    expect(await tmpFiles()).toEqual([]);
    await expect(stat(orphanPath)).rejects.toThrow();
    expect(sha(await download({ version: 1n }))).toBe(sha(model1));
  });
});

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}
