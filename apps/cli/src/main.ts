#!/usr/bin/env node
import { parseArgs } from 'node:util';
import {
  AUDIT_QUERY_USAGE,
  AUDIT_TAIL_USAGE,
  auditQueryCommand,
  auditTailCommand,
} from './commands/audit-read';
import { AUDIT_ROOT_USAGE, auditRootCommand } from './commands/audit-root';
import { AUDIT_VERIFY_USAGE, auditVerifyCommand } from './commands/audit-verify';
import { DEV_USAGE, devCommand } from './commands/dev';
import { DRIFT_USAGE, driftCommand } from './commands/drift';
import { EXPERIMENT_USAGE, experimentCommand } from './commands/experiment';
import { HEALTH_USAGE, healthCommand } from './commands/health';
import { INFER_USAGE, inferCommand } from './commands/infer';
import { MODEL_USAGE, modelCommand } from './commands/model';
import { PKI_USAGE, pkiInitCommand } from './commands/pki';
import { ROUTES_USAGE, routesCommand } from './commands/routes';
import { STATS_USAGE, statsCommand } from './commands/stats';
import type { CommandResult } from './commands/command';

const USAGE = `verdict: the Verdict command line

Commands:
${[DEV_USAGE, PKI_USAGE, HEALTH_USAGE, INFER_USAGE, MODEL_USAGE, EXPERIMENT_USAGE, ROUTES_USAGE, DRIFT_USAGE, AUDIT_VERIFY_USAGE, AUDIT_TAIL_USAGE, AUDIT_QUERY_USAGE, AUDIT_ROOT_USAGE, STATS_USAGE].map((usage) => `  ${usage.split('\n')[0]}`).join('\n')}

Run a command with --help for details.`;

async function run(argv: string[]): Promise<CommandResult> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      dir: { type: 'string' },
      ports: { type: 'string' },
      force: { type: 'boolean' },
      address: { type: 'string' },
      service: { type: 'string' },
      pki: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      // verdict audit ...
      key: { type: 'string' },
      state: { type: 'string' },
      'stdin-hex': { type: 'boolean' },
      lines: { type: 'string', short: 'n' },
      follow: { type: 'boolean', short: 'f' },
      actor: { type: 'string' },
      action: { type: 'string' },
      resource: { type: 'string' },
      outcome: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      limit: { type: 'string' },
      // verdict infer
      model: { type: 'string' },
      version: { type: 'string' },
      input: { type: 'string' },
      text: { type: 'string' },
      unit: { type: 'string' },
      // verdict model ...
      name: { type: 'string' },
      team: { type: 'string' },
      alias: { type: 'string' },
      description: { type: 'string' },
      out: { type: 'string' },
      json: { type: 'boolean' },
      // verdict experiment ...
      file: { type: 'string' },
      kind: { type: 'string' },
      variant: { type: 'string', multiple: true },
      control: { type: 'string' },
      pool: { type: 'string' },
      metric: { type: 'string' },
      'metric-type': { type: 'string' },
      guardrail: { type: 'string', multiple: true },
      method: { type: 'string' },
      alpha: { type: 'string' },
      'auto-apply': { type: 'boolean' },
      'unit-type': { type: 'string' },
      interval: { type: 'string' },
      'min-sample-size': { type: 'string' },
      'min-duration': { type: 'string' },
      'max-duration': { type: 'string' },
      shadow: { type: 'string', multiple: true },
      'canary-step': { type: 'string' },
      'canary-max-weight': { type: 'string' },
      reason: { type: 'string' },
      // verdict routes show
      metrics: { type: 'string' },
      // verdict drift profile, verdict experiment replay
      data: { type: 'string' },
      source: { type: 'string' },
      variants: { type: 'string' },
      concurrency: { type: 'string' },
    },
  });
  if (positionals[0] === 'model') return modelCommand(positionals.slice(1), values);
  if (positionals[0] === 'experiment') return experimentCommand(positionals.slice(1), values);
  if (positionals[0] === 'routes') return routesCommand(positionals.slice(1), values);
  if (positionals[0] === 'drift') return driftCommand(positionals.slice(1), values);
  const command = positionals.join(' ');
  const usage: Record<string, string> = {
    dev: DEV_USAGE,
    'pki init': PKI_USAGE,
    health: HEALTH_USAGE,
    infer: INFER_USAGE,
    'audit verify': AUDIT_VERIFY_USAGE,
    'audit tail': AUDIT_TAIL_USAGE,
    'audit query': AUDIT_QUERY_USAGE,
    'audit root': AUDIT_ROOT_USAGE,
    'stats compare': STATS_USAGE,
    'stats srm': STATS_USAGE,
  };
  if (values.help === true || command === '' || usage[command] === undefined) {
    const known = usage[command] !== undefined;
    process.stdout.write(`${known ? usage[command] : USAGE}\n`);
    return { exitCode: known || command === '' ? 0 : 2 };
  }
  switch (command) {
    case 'dev':
      return devCommand(values);
    case 'pki init':
      return pkiInitCommand(values);
    case 'audit verify':
      return auditVerifyCommand(values);
    case 'audit tail':
      return auditTailCommand(values);
    case 'audit query':
      return auditQueryCommand(values);
    case 'audit root':
      return auditRootCommand(values);
    case 'infer':
      return inferCommand(values);
    case 'stats compare':
      return statsCommand('compare', values);
    case 'stats srm':
      return statsCommand('srm', values);
    default:
      return healthCommand(values);
  }
}

run(process.argv.slice(2)).then(
  (result) => process.exit(result.exitCode),
  (error: unknown) => {
    process.stderr.write(`verdict: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
