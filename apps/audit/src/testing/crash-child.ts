/**
 * The crash test's child: appends under load to the log in `argv[2]` and prints one JSON line
 * per acknowledged call (`{"acked":[[id,index],...]}`) and per stored checkpoint
 * (`{"checkpoint":note}`), until it is killed. Run with `node --import tsx`.
 */
import { create } from '@bufbuild/protobuf';
import { timestampNow } from '@bufbuild/protobuf/wkt';
import { auditV1 } from '@verdict/proto';
import { join } from 'node:path';
import { openAuditLog } from '../log/audit-log';
import { createCheckpointer, type Checkpointer } from '../log/checkpointer';

const [dir, run] = process.argv.slice(2);
const APPENDERS = 8;
const RECORDS_PER_CALL = 25;
const print = (object: object) => process.stdout.write(`${JSON.stringify(object)}\n`);

async function main(): Promise<void> {
  // The checkpointer needs the opened log; commits reach it through this once it exists.
  const late: { checkpointer?: Checkpointer } = {};
  const log = await openAuditLog({
    dir: join(dir, 'segments'),
    onCommit: (event) => late.checkpointer?.onCommit(event.treeSize),
  });
  const checkpointer = await createCheckpointer({
    log,
    origin: 'crash.test/audit',
    keyFile: join(dir, 'checkpoint.key'),
    checkpointsFile: join(dir, 'checkpoints.jsonl'),
    everyRecords: 300,
    intervalMs: 20,
    onCheckpoint: (checkpoint) => print({ checkpoint: checkpoint.note }),
  });
  late.checkpointer = checkpointer;
  print({ ready: log.size });
  let sequence = 0;
  await Promise.all(
    Array.from({ length: APPENDERS }, async () => {
      for (;;) {
        const records = Array.from({ length: RECORDS_PER_CALL }, () =>
          create(auditV1.RecordSchema, {
            id: `${run}-${sequence++}`,
            time: timestampNow(),
            actor: 'spiffe://verdict.local/ns/default/sa/router',
            action: 'inference.request',
            resource: 'model/spam',
            outcome: auditV1.Outcome.SUCCESS,
            details: { pad: 'x'.repeat(sequence % 97) },
          }),
        );
        const outcomes = await log.append(records);
        print({ acked: outcomes.map((o) => [o.id, o.index]) });
      }
    }),
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${String(error)}\n`);
  process.exit(1);
});
