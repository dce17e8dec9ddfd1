/** What a command tells main: the process exit code. */
export interface CommandResult {
  exitCode: number;
}
