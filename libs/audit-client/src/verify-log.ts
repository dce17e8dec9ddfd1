/**
 * What `verdict audit verify` does, free of the command line: check the newest checkpoint's
 * signature, its consistency with the checkpoint seen last time, and recompute its root from
 * the exported records; on a mismatch, find the first record that differs by bisecting with
 * consistency proofs against the signed root.
 */
import type { auditV1 } from '@verdict/proto';
import { leafHash } from './merkle-hash';
import { createRootAccumulator, verifyConsistency } from './merkle-verify';
import { encodeRecord } from './record-encoding';
import { openCheckpoint, type CheckpointBody, type NoteVerifier } from './signed-note';

/** The read calls of the AuditService that verification needs (a kit client has them). */
export interface AuditReader {
  getCheckpoint(request: { treeSize: bigint }): Promise<{ checkpoint?: auditV1.Checkpoint }>;
  getConsistencyProof(request: {
    firstSize: bigint;
    secondSize: bigint;
  }): Promise<{ hashes: Uint8Array[] }>;
  export(request: {
    startIndex: bigint;
    endIndex: bigint;
  }): AsyncIterable<{ records: auditV1.IndexedRecord[] }>;
}

export interface VerifyLogOptions {
  reader: AuditReader;
  verifier: NoteVerifier;
  /** The signed checkpoint note accepted last time, if any. */
  lastSeen?: string;
}

/** The verdict. `checkpoint` is the note to remember when `ok`. */
export interface VerifyReport {
  ok: boolean;
  message: string;
  treeSize?: bigint;
  rootHash?: Buffer;
  /** Index of the first record that does not match the signed tree. */
  firstBadIndex?: number;
  checkpoint?: string;
}

export async function verifyLog(options: VerifyLogOptions): Promise<VerifyReport> {
  const { reader, verifier } = options;
  const response = await reader.getCheckpoint({ treeSize: 0n });
  const note = response.checkpoint?.note ?? '';
  const checkpoint = openCheckpoint(note, verifier);
  if ('failure' in checkpoint)
    return { ok: false, message: `the latest checkpoint cannot be trusted: ${checkpoint.failure}` };
  const size = checkpoint.treeSize;

  if (options.lastSeen !== undefined) {
    const last = openCheckpoint(options.lastSeen, verifier);
    if ('failure' in last)
      return { ok: false, message: `the remembered checkpoint does not verify: ${last.failure}` };
    const problem = await checkConsistency(reader, last, checkpoint);
    if (problem !== undefined) return { ok: false, message: problem, treeSize: size };
  }

  const leaves: Buffer[] = [];
  try {
    for await (const page of reader.export({ startIndex: 0n, endIndex: size })) {
      for (const entry of page.records) {
        if (entry.index !== BigInt(leaves.length) || entry.record === undefined) {
          return {
            ok: false,
            message: `the export skipped or reordered records at index ${leaves.length}`,
            firstBadIndex: leaves.length,
            treeSize: size,
          };
        }
        leaves.push(leafHash(encodeRecord(entry.record)));
      }
    }
  } catch (error) {
    return {
      ok: false,
      message: `the export failed at index ${leaves.length}: ${(error as Error).message}`,
      firstBadIndex: leaves.length,
      treeSize: size,
    };
  }
  if (BigInt(leaves.length) !== size) {
    return {
      ok: false,
      message: `the export returned ${leaves.length} records, the checkpoint signs ${size}`,
      firstBadIndex: leaves.length,
      treeSize: size,
    };
  }
  const root = rootOf(leaves, leaves.length);
  if (root.equals(checkpoint.rootHash)) {
    return {
      ok: true,
      message: `${checkpoint.origin}: ${size} records, root ${root.toString('hex')}`,
      treeSize: size,
      rootHash: root,
      checkpoint: note,
    };
  }
  const bad = await firstBadIndex(reader, leaves, checkpoint);
  return {
    ok: false,
    message: `record ${bad} is not what checkpoint ${size} signed: the log was altered (first bad index ${bad})`,
    firstBadIndex: bad,
    treeSize: size,
  };
}

async function checkConsistency(
  reader: AuditReader,
  last: CheckpointBody,
  latest: CheckpointBody,
): Promise<string | undefined> {
  if (last.origin !== latest.origin)
    return `origin changed from ${last.origin} to ${latest.origin}`;
  if (last.treeSize > latest.treeSize)
    return `the log shrank from ${last.treeSize} to ${latest.treeSize} records`;
  if (last.treeSize === 0n) return undefined;
  const proof =
    last.treeSize === latest.treeSize
      ? { hashes: [] }
      : await reader.getConsistencyProof({ firstSize: last.treeSize, secondSize: latest.treeSize });
  const failure = verifyConsistency(
    last.treeSize,
    latest.treeSize,
    last.rootHash,
    latest.rootHash,
    proof.hashes,
  );
  return failure === undefined
    ? undefined
    : `checkpoint ${latest.treeSize} is not consistent with checkpoint ${last.treeSize} seen before (${failure}): the log was rewritten`;
}

/** Largest prefix of the local leaves that the server proves consistent with the signed root; the next leaf is bad. */
async function firstBadIndex(
  reader: AuditReader,
  leaves: Buffer[],
  checkpoint: CheckpointBody,
): Promise<number> {
  let good = 0;
  let bad = leaves.length;
  while (bad - good > 1) {
    const middle = Math.floor((good + bad) / 2);
    const proof = await reader
      .getConsistencyProof({ firstSize: BigInt(middle), secondSize: checkpoint.treeSize })
      .catch(() => undefined);
    const ok =
      proof !== undefined &&
      verifyConsistency(
        middle,
        checkpoint.treeSize,
        rootOf(leaves, middle),
        checkpoint.rootHash,
        proof.hashes,
      ) === undefined;
    if (ok) good = middle;
    else bad = middle;
  }
  return good;
}

function rootOf(leaves: readonly Buffer[], size: number): Buffer {
  const accumulator = createRootAccumulator();
  for (let i = 0; i < size; i++) accumulator.add(leaves[i]);
  return accumulator.root();
}
