import { auditQueryCommand, auditTailCommand } from '../commands/audit-read';
import { auditRootCommand } from '../commands/audit-root';
import { auditVerifyCommand } from '../commands/audit-verify';
import { connectionFlags, connectionOptions } from './options';
import { group, type Register } from './program';

/** Where the dev stack's audit service keeps its checkpoint verifier key, inside the state folder. */
export const VERIFIER_KEY_PATH = ['data', 'audit', 'checkpoint.key.vkey'] as const;

/** `verdict audit verify|tail|query|root` (docs/audit.md). */
export const registerAuditCommands: Register = (program, { environment, choose }) => {
  const audit = group(program, 'audit', 'the tamper-evident audit log (docs/audit.md)');
  connectionOptions(audit.command('verify'), 'audit')
    .description(
      "check the latest checkpoint's signature, its consistency with the one accepted last time, and every record",
    )
    .option(
      '--key <file>',
      "the checkpoint verifier key (default: the dev stack's, data/audit/checkpoint.key.vkey in the state folder)",
    )
    .option(
      '--state <file>',
      'the checkpoint accepted last time (default: audit-verify-state in the state folder)',
    )
    .action((options: Record<string, unknown>) =>
      choose(() => {
        const flags = connectionFlags(environment, 'audit', options);
        return auditVerifyCommand({
          ...flags,
          key: (options.key as string | undefined) ?? environment.stateFile(...VERIFIER_KEY_PATH),
          state:
            (options.state as string | undefined) ?? environment.stateFile('audit-verify-state'),
        });
      }),
    );
  connectionOptions(audit.command('tail'), 'audit')
    .description('the newest records as JSON lines')
    .option('-n, --lines <n>', 'how many (default: 20)')
    .option('-f, --follow', 'keep printing new ones')
    .action((options: Record<string, unknown>) =>
      choose(() => auditTailCommand(connectionFlags(environment, 'audit', options))),
    );
  connectionOptions(audit.command('query'), 'audit')
    .description('the matching records, oldest first, as JSON lines')
    .option('--actor <id>', 'who')
    .option('--action <name>', 'NAME or PREFIX.*')
    .option('--resource <resource>', 'what')
    .option('--outcome <outcome>', 'success, failure or denied')
    .option('--since <time>', 'ISO 8601')
    .option('--until <time>', 'ISO 8601')
    .option('--limit <n>', 'at most (default: 100)')
    .action((options: Record<string, unknown>) =>
      choose(() => auditQueryCommand(connectionFlags(environment, 'audit', options))),
    );
  audit
    .command('root')
    .description(
      'the RFC 9162 Merkle root of the leaves on stdin, one hex leaf per line, for cross-checking',
    )
    .option('--stdin-hex', 'read hex leaves from stdin (the only input format)')
    .action((options: { stdinHex?: boolean }) =>
      choose(() => auditRootCommand({ 'stdin-hex': options.stdinHex })),
    );
};
