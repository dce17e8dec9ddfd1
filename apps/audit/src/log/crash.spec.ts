import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { openCheckpoint, parseVerifierKey } from '@verdict/audit-client';
import { openAuditLog } from './audit-log';
import { createCheckpointer } from './checkpointer';

const KILLS = 4;

/** Runs the crash child until it has acknowledged some records, then SIGKILLs it at a random moment. */
async function runAndKill(dir: string, run: number) {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, '..', 'testing', 'crash-child.ts'), dir, String(run)],
    {
      cwd: join(__dirname, '..', '..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const acked = new Map<string, number>();
  const checkpoints: string[] = [];
  let ackedCalls = 0;
  let killAfterCalls = 10 + Math.floor(Math.random() * 60);
  const exited = once(child, 'exit');
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const event = JSON.parse(line) as { acked?: Array<[string, number]>; checkpoint?: string };
    if (event.checkpoint !== undefined) checkpoints.push(event.checkpoint);
    if (event.acked !== undefined) {
      for (const [id, index] of event.acked) acked.set(id, index);
      if (++ackedCalls === killAfterCalls) {
        child.kill('SIGKILL');
        killAfterCalls = -1;
      }
    }
  });
  const [code, signal] = await exited;
  return { acked, checkpoints, code, signal };
}

describe('crash safety (SIGKILL under load)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-audit-crash-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it(`keeps every acknowledged record and every checkpoint across ${KILLS} kills`, async () => {
    const allAcked = new Map<string, number>();
    const allCheckpoints: string[] = [];
    for (let run = 0; run < KILLS; run++) {
      const result = await runAndKill(dir, run);
      expect(result.signal).toBe('SIGKILL');
      result.acked.forEach((index, id) => allAcked.set(id, index));
      allCheckpoints.push(...result.checkpoints);

      const log = await openAuditLog({ dir: join(dir, 'segments') });
      const checkpointer = await createCheckpointer({
        log,
        origin: 'crash.test/audit',
        keyFile: join(dir, 'checkpoint.key'),
        checkpointsFile: join(dir, 'checkpoints.jsonl'),
      });
      try {
        expect(checkpointer.integrityFailure).toBeUndefined();
        for (const [id, index] of allAcked) {
          if (log.indexOf(id) !== index)
            throw new Error(
              `acknowledged record ${id} at ${index} is at ${log.indexOf(id)} after restart ${run}`,
            );
        }
        // Every record decodes: no partial record is visible.
        const records = await log.read(0, log.size);
        expect(records).toHaveLength(log.size);
        expect(new Set(records.map((entry) => entry.record.id)).size).toBe(log.size);
        const verifier = parseVerifierKey(await readFile(join(dir, 'checkpoint.key.vkey'), 'utf8'));
        for (const note of allCheckpoints) {
          const body = openCheckpoint(note, verifier);
          if ('failure' in body) throw new Error(body.failure);
          expect(log.tree.root(Number(body.treeSize)).equals(body.rootHash)).toBe(true);
        }
      } finally {
        await checkpointer.stop();
        await log.close();
      }
    }
    expect(allAcked.size).toBeGreaterThanOrEqual(KILLS * 10 * 25);
  }, 60_000);
});
