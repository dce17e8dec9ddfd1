/**
 * Signed checkpoints: every `everyRecords` new records or every `intervalMs` (whichever comes
 * first, and only when the tree grew), the log's size and root are signed with the log's
 * Ed25519 key as a C2SP checkpoint note and appended, durably, to `checkpoints.jsonl`. All are
 * kept, so a verifier can ask for the checkpoint of any size it saw before.
 */
import { generateKeyPairSync } from 'node:crypto';
import { appendFile, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createNoteSigner, formatCheckpoint, type NoteSigner } from '@verdict/audit-client';
import { NotFoundError } from '@verdict/errors';
import type { AuditLog } from './audit-log';

/** A kept checkpoint. */
export interface StoredCheckpoint {
  treeSize: number;
  rootHash: Buffer;
  note: string;
  createTimeMs: number;
}

export interface CheckpointerOptions {
  log: AuditLog;
  /** Log identity and key name, the note's first line, e.g. `verdict.local/audit`. */
  origin: string;
  /** Ed25519 private key (PKCS#8 PEM), created when missing; `<keyFile>.vkey` gets the verifier key. */
  keyFile: string;
  /** File the checkpoints are appended to. */
  checkpointsFile: string;
  /** @default 1000 */
  everyRecords?: number;
  /** @default 1000 */
  intervalMs?: number;
  /** Told about each new checkpoint. */
  onCheckpoint?: (checkpoint: StoredCheckpoint) => void;
  /** Told when the log does not match a kept checkpoint; appends and signing then stop. */
  onIntegrityFailure?: (reason: string) => void;
}

export interface Checkpointer {
  readonly verifierKey: string;
  /** The newest checkpoint. */
  latest(): StoredCheckpoint;
  /** The kept checkpoint of exactly `treeSize` records. */
  atSize(treeSize: number): StoredCheckpoint;
  /** Signs a checkpoint now if the tree grew since the last one; resolves once it is stored. */
  checkpointNow(): Promise<StoredCheckpoint>;
  /** Call after each commit: signs once `everyRecords` records arrived since the last checkpoint. */
  onCommit(treeSize: number): void;
  /** Why the log does not match its kept checkpoints (checked when opening), if it does not. */
  readonly integrityFailure: string | undefined;
  stop(): Promise<void>;
}

/** Loads the key and the kept checkpoints, checks the log against them, and starts signing. */
export async function createCheckpointer(options: CheckpointerOptions): Promise<Checkpointer> {
  const everyRecords = options.everyRecords ?? 1000;
  const intervalMs = options.intervalMs ?? 1000;
  const { log } = options;
  const signer = await loadSigner(options.keyFile, options.origin);
  const kept = await loadCheckpoints(options.checkpointsFile);
  const bySize = new Map(kept.map((checkpoint) => [checkpoint.treeSize, checkpoint]));
  const integrityFailure = checkIntegrity(log, kept);
  if (integrityFailure !== undefined) {
    log.freeze(integrityFailure);
    options.onIntegrityFailure?.(integrityFailure);
  }
  let writing: Promise<StoredCheckpoint> | undefined;

  async function issue(): Promise<StoredCheckpoint> {
    const last = kept.at(-1);
    const size = log.size;
    if (integrityFailure !== undefined || (last !== undefined && last.treeSize >= size))
      return last!;
    const rootHash = log.tree.root(size);
    const checkpoint: StoredCheckpoint = {
      treeSize: size,
      rootHash,
      note: signer.sign(
        formatCheckpoint({ origin: options.origin, treeSize: BigInt(size), rootHash }),
      ),
      createTimeMs: Date.now(),
    };
    await appendDurably(
      options.checkpointsFile,
      `${JSON.stringify({ tree_size: size, create_time_ms: checkpoint.createTimeMs, note: checkpoint.note })}\n`,
    );
    kept.push(checkpoint);
    bySize.set(size, checkpoint);
    options.onCheckpoint?.(checkpoint);
    return checkpoint;
  }

  const checkpointNow = (): Promise<StoredCheckpoint> => {
    // One signing at a time, so kept checkpoints stay in size order.
    const next = (writing ?? Promise.resolve(undefined)).catch(() => undefined).then(issue);
    writing = next;
    return next;
  };

  if (integrityFailure === undefined) await checkpointNow();
  const timer = setInterval(() => void checkpointNow().catch(() => undefined), intervalMs);
  timer.unref();

  return {
    verifierKey: signer.verifierKey,
    latest: () => kept.at(-1)!,
    atSize(treeSize) {
      const checkpoint = bySize.get(treeSize);
      if (checkpoint === undefined) {
        throw new NotFoundError({ kind: 'checkpoint', resource: `tree size ${treeSize}` });
      }
      return checkpoint;
    },
    checkpointNow,
    onCommit(treeSize) {
      const last = kept.at(-1);
      if (last === undefined || treeSize - last.treeSize >= everyRecords)
        void checkpointNow().catch(() => undefined);
    },
    get integrityFailure() {
      return integrityFailure;
    },
    async stop() {
      clearInterval(timer);
      await writing?.catch(() => undefined);
    },
  };
}

/** The log must hold every checkpointed size, with the same root. */
function checkIntegrity(log: AuditLog, kept: readonly StoredCheckpoint[]): string | undefined {
  for (const checkpoint of kept) {
    if (checkpoint.treeSize > log.size) {
      return `the log holds ${log.size} records but checkpoint ${checkpoint.treeSize} was signed: records were lost`;
    }
    if (!log.tree.root(checkpoint.treeSize).equals(checkpoint.rootHash)) {
      return `the log's root at tree size ${checkpoint.treeSize} differs from the signed checkpoint: the log was altered`;
    }
  }
  return undefined;
}

async function loadSigner(keyFile: string, keyName: string): Promise<NoteSigner> {
  let pem: string;
  try {
    pem = await readFile(keyFile, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    await mkdir(dirname(keyFile), { recursive: true });
    pem = generateKeyPairSync('ed25519')
      .privateKey.export({ format: 'pem', type: 'pkcs8' })
      .toString();
    await writeFile(keyFile, pem, { mode: 0o600, flag: 'wx' });
  }
  const signer = createNoteSigner(keyName, pem);
  await writeFile(`${keyFile}.vkey`, `${signer.verifierKey}\n`);
  return signer;
}

async function loadCheckpoints(file: string): Promise<StoredCheckpoint[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const lines = text.split('\n');
  const checkpoints: StoredCheckpoint[] = [];
  for (const [number, line] of lines.entries()) {
    if (line === '') continue;
    try {
      const parsed = JSON.parse(line) as {
        tree_size: number;
        create_time_ms: number;
        note: string;
      };
      const root = parsed.note.split('\n')[2];
      checkpoints.push({
        treeSize: parsed.tree_size,
        rootHash: Buffer.from(root, 'base64'),
        note: parsed.note,
        createTimeMs: parsed.create_time_ms,
      });
    } catch (error) {
      // Only the last line can be torn by a crash; it was never served.
      if (number < lines.length - 1 && lines.slice(number + 1).some((rest) => rest !== ''))
        throw error;
    }
  }
  return checkpoints;
}

async function appendDurably(file: string, line: string): Promise<void> {
  await appendFile(file, line);
  const handle = await open(file, 'r');
  try {
    await handle.datasync();
  } finally {
    await handle.close();
  }
}
