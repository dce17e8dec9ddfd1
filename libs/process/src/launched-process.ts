import { spawn, type ChildProcess } from 'node:child_process';
import { commandEnv, commandLine, type ProcessCommand } from './node-command';
import { readLines } from './read-lines';
import { stopChild, type ProcessExit, type StopOptions } from './stop-child';

/** How to start a child process. */
export interface SpawnOptions extends ProcessCommand {
  /** The name errors and log prefixes use. */
  name: string;
  /** @default this process's working directory */
  cwd?: string;
  /** Added to this process's environment (`undefined` removes a variable). */
  env?: Readonly<Record<string, string | undefined>>;
  /** Called with each line the child writes to a piped stdout or stderr. */
  onLine?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** `pipe`: a writable `child.stdin` (line protocols). @default 'ignore' */
  stdin?: 'ignore' | 'pipe';
  /** @default 'pipe' */
  stdout?: 'pipe' | 'ignore' | 'inherit';
  /** @default 'pipe' */
  stderr?: 'pipe' | 'ignore' | 'inherit';
  /**
   * Open an IPC channel: a Verdict service drains and exits when it closes, so a child never
   * outlives a parent that died, even by SIGKILL. @default false
   */
  ipc?: boolean;
  /**
   * Start it in its own process group, so a terminal's Ctrl-C (SIGINT to the foreground group)
   * does not reach it: the parent decides which signal it gets, once. @default false
   */
  detached?: boolean;
  /** How many of its latest lines to keep for error messages. @default 200 */
  keepLines?: number;
}

/** A started child process. */
export interface LaunchedProcess {
  readonly name: string;
  readonly child: ChildProcess;
  readonly pid: number;
  /** Its latest lines (stdout and stderr, when piped), for a failure's message. */
  readonly lines: readonly string[];
  /** Settles when it has exited, with how. */
  readonly exited: Promise<ProcessExit>;
  /** Whether it has not exited yet. */
  running(): boolean;
  /** Calls `listener` with each later line (stdout and stderr, when piped); returns the unsubscribe. */
  onLine(listener: (line: string) => void): () => void;
  /**
   * Sends `signal` (SIGTERM) once, waits for the exit, and SIGKILLs it after `graceMs`. Calling
   * it again, or after the exit, waits for the same exit.
   */
  stop(options?: StopOptions): Promise<ProcessExit>;
  /** SIGKILL now, and waits for the exit. */
  kill(): Promise<ProcessExit>;
}

const DEFAULT_KEEP_LINES = 200;

/** Starts a child process (it may not be ready yet: see `launch`). */
export function spawnProcess(options: SpawnOptions): LaunchedProcess {
  const { file, args } = commandLine(options);
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: { ...process.env, ...commandEnv(options), ...options.env },
    stdio: [
      options.stdin ?? 'ignore',
      options.stdout ?? 'pipe',
      options.stderr ?? 'pipe',
      ...(options.ipc === true ? (['ipc'] as const) : []),
    ],
    detached: options.detached ?? false,
  });
  const lines: string[] = [];
  const listeners = new Set<(line: string) => void>();
  const keep = options.keepLines ?? DEFAULT_KEEP_LINES;
  const collect = (stream: 'stdout' | 'stderr') => (line: string) => {
    lines.push(line);
    if (lines.length > keep) lines.shift();
    options.onLine?.(line, stream);
    for (const listener of listeners) listener(line);
  };
  if (child.stdout !== null) readLines(child.stdout, collect('stdout'));
  if (child.stderr !== null) readLines(child.stderr, collect('stderr'));
  const exited = new Promise<ProcessExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ code, signal }));
    // A spawn failure (no such executable) emits 'error' and maybe no 'exit'.
    child.once('error', (error) => {
      lines.push(`${options.name}: ${error.message}`);
      resolve({ code: null, signal: null, error });
    });
  });
  const running = () =>
    child.exitCode === null && child.signalCode === null && child.pid !== undefined;
  let stopping: Promise<ProcessExit> | undefined;
  return {
    name: options.name,
    child,
    pid: child.pid ?? -1,
    lines,
    exited,
    running,
    onLine(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop(stopOptions) {
      stopping ??= running() ? stopChild(child, exited, stopOptions) : exited;
      return stopping;
    },
    kill() {
      if (running()) child.kill('SIGKILL');
      return exited;
    },
  };
}
