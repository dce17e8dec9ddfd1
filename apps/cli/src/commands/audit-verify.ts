import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parseVerifierKey, verifyLog } from '@verdict/audit-client';
import {
  auditClient,
  DEFAULT_VERIFIER_KEY_FILE,
  readOptional,
  type AuditConnectionFlags,
} from './audit-connection';
import type { CommandResult } from './command';

export interface AuditVerifyFlags extends AuditConnectionFlags {
  key?: string;
  state?: string;
}

/** `verdict audit verify`. */
export async function auditVerifyCommand(
  flags: AuditVerifyFlags,
  output: NodeJS.WritableStream = process.stdout,
): Promise<CommandResult> {
  const keyFile = resolve(flags.key ?? DEFAULT_VERIFIER_KEY_FILE);
  const stateFile = resolve(flags.state ?? '.verdict/audit-verify-state');
  const key = await readOptional(keyFile);
  if (key === undefined) {
    output.write(
      `FAIL: no verifier key at ${keyFile} (the audit service writes it next to its signing key)\n`,
    );
    return { exitCode: 2 };
  }
  const client = auditClient(flags);
  try {
    const report = await verifyLog({
      reader: client,
      verifier: parseVerifierKey(key),
      lastSeen: await readOptional(stateFile),
    });
    if (!report.ok) {
      output.write(`FAIL: ${report.message}\n`);
      return { exitCode: 1 };
    }
    await mkdir(dirname(stateFile), { recursive: true });
    await writeFile(stateFile, report.checkpoint!);
    output.write(
      `OK: ${report.message}; signature, consistency with the last checkpoint seen, and every record verified\n`,
    );
    return { exitCode: 0 };
  } finally {
    client.close();
  }
}
