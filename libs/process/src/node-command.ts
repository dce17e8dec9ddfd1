/** What to run: a Node entry point (compiled or TypeScript) or another executable. */
export interface ProcessCommand {
  /**
   * A Node entry point: a `.ts` file runs under `node --import tsx`, anything else as is, with
   * this process's Node binary. Ignored when `executable` is given.
   */
  entry?: string;
  /** Another program to run instead of Node (nginx, a shell), with `args`. */
  executable?: string;
  /** Arguments after the entry point (or the executable). @default [] */
  args?: readonly string[];
  /** Node options before the entry point, e.g. `--cpu-prof`. @default [] */
  nodeArgs?: readonly string[];
  /**
   * The tsconfig tsx resolves path aliases with (`TSX_TSCONFIG_PATH`), for a TypeScript entry
   * run from outside its package. @default tsx's own lookup from the working directory
   */
  tsconfig?: string;
}

/** The program and argument list that run `command`. */
export function commandLine(command: ProcessCommand): { file: string; args: string[] } {
  const args = [...(command.args ?? [])];
  if (command.executable !== undefined) return { file: command.executable, args };
  if (command.entry === undefined)
    throw new Error('a process command needs an entry or an executable');
  const typescript = command.entry.endsWith('.ts');
  return {
    file: process.execPath,
    args: [
      ...(command.nodeArgs ?? []),
      ...(typescript ? ['--import', 'tsx'] : []),
      command.entry,
      ...args,
    ],
  };
}

/** Environment additions a command needs besides the caller's (tsx's tsconfig). */
export function commandEnv(command: ProcessCommand): Record<string, string> {
  return command.tsconfig !== undefined && command.entry?.endsWith('.ts') === true
    ? { TSX_TSCONFIG_PATH: command.tsconfig }
    : {};
}
