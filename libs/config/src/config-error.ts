import { Code, VerdictError } from '@verdict/errors';

/** Where a wrong value came from. `default`: nobody set it, or the schema default is wrong. */
export type ConfigSource = 'env' | 'file' | 'default';

/** One wrong setting, phrased so that a person can fix it. */
export interface ConfigIssue {
  /**
   * The name the person has to change: the environment variable (`VERDICT_GRPC_PORT`) for
   * values from the environment and for values nobody set; the dotted key (`grpc.port`) for
   * values from the file; the file's path when the file itself cannot be read or parsed.
   */
  readonly setting: string;
  readonly source: ConfigSource;
  /** What would have been accepted, e.g. `integer 0..65535`. */
  readonly expected: string;
  /** What came, quoted when it is a string, or `nothing` when no value was set. */
  readonly received: string;
}

/** The `received` text of an issue about a setting no source provided. */
export const NOTHING_RECEIVED = 'nothing';

/**
 * The configuration cannot be used. The message lists every wrong setting, one per line, as
 * `VERDICT_GRPC_PORT (env): expected integer 0..65535, got "abc"`; an app prints it and
 * exits non-zero.
 */
export class ConfigError extends VerdictError {
  readonly issues: readonly ConfigIssue[];
  /** The YAML file that was read, if any; named in the message for its settings. */
  readonly file: string | undefined;

  constructor(issues: readonly ConfigIssue[], file?: string) {
    const lines = issues.map((issue) => `  ${describeIssue(issue, file)}`);
    const count = issues.length === 1 ? '1 setting' : `${issues.length} settings`;
    super(Code.INVALID_ARGUMENT, `invalid configuration, ${count} to fix:\n${lines.join('\n')}`);
    this.issues = issues;
    this.file = file;
  }
}

function describeIssue(issue: ConfigIssue, file: string | undefined): string {
  return `${issue.setting}${sourceLabel(issue, file)}: expected ${issue.expected}, got ${issue.received}`;
}

function sourceLabel(issue: ConfigIssue, file: string | undefined): string {
  switch (issue.source) {
    case 'env':
      return ' (env)';
    case 'file':
      // An issue about the file as a whole already names it as its setting.
      return issue.setting === file ? '' : ` (file ${file ?? ''})`;
    case 'default':
      return issue.received === NOTHING_RECEIVED ? ' (not set)' : ' (default)';
  }
}
