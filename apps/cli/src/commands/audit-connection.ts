import { readFile } from 'node:fs/promises';
import type { TypedClient } from '@verdict/grpc-kit';
import { auditV1 } from '@verdict/proto';
import { cliClient } from '../environment/cli-client';

/** Flags every `verdict audit` command that calls the service shares. */
export interface AuditConnectionFlags {
  address?: string;
  pki?: string;
}

export const DEFAULT_AUDIT_ADDRESS = '127.0.0.1:50055';

/** Where the local audit service keeps its checkpoint verifier key in the dev stack. */
export const DEFAULT_VERIFIER_KEY_FILE = '.verdict/data/audit/checkpoint.key.vkey';

/** An AuditService client with the local user's certificate from the dev PKI. */
export function auditClient(
  flags: AuditConnectionFlags,
): TypedClient<(typeof auditV1.AuditService)['method']> {
  return cliClient(auditV1.AuditService, {
    address: flags.address ?? DEFAULT_AUDIT_ADDRESS,
    pkiDir: flags.pki,
    defaultTimeoutMs: 30_000,
  });
}

/** Reads a file that may be missing. */
export async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
