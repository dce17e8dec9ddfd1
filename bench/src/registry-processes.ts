/** Child processes of bench/registry: the registry itself and the bare floor server. */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { launch } from '@verdict/process';

/** The repository root, where children run so tsx finds the sources. */
export const REPO_ROOT = join(__dirname, '..', '..');
/** How long a child may take to start listening. */
const START_TIMEOUT_MS = 60_000;
/** How often `ready` is tried while the child starts. */
const READY_POLL_MS = 200;

/** A started child and how to stop it. */
export interface Child {
  readonly pid: number;
  readonly port: number;
  /** Peak resident set (VmHWM) so far, in MiB. */
  peakRssMib(): Promise<number>;
  stop(): Promise<void>;
}

/** Reads VmHWM (peak resident set) of a process from /proc, in MiB. */
export async function peakRssMib(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
  if (match === null) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]) / 1024;
}

/** A port free right now on 127.0.0.1. */
export { freePort } from '@verdict/process';

/**
 * Runs an entry point in one Node process (so its pid is the one measured): compiled JavaScript
 * as is, TypeScript under `node --import tsx`. Resolves once `ready` says so from the child's
 * stdout or the port answers.
 */
export async function startChild(options: {
  entry: string;
  /** Needed for a TypeScript entry only. */
  tsconfig?: string;
  env: Record<string, string>;
  /** Reads the port from a stdout line, or undefined when the port is known in advance. */
  portFromLine?: (line: string) => number | undefined;
  port?: number;
  ready?: () => Promise<void>;
}): Promise<Child> {
  let port = options.port;
  const ready = options.ready;
  const child = await launch({
    name: options.entry,
    entry: options.entry,
    tsconfig: options.tsconfig,
    cwd: REPO_ROOT,
    env: options.env,
    stderr: 'inherit',
    ready: {
      timeoutMs: START_TIMEOUT_MS,
      pollMs: READY_POLL_MS,
      ...(options.portFromLine === undefined
        ? {}
        : {
            line: (line: string) => {
              port = options.portFromLine!(line);
              return port !== undefined;
            },
          }),
      ...(ready === undefined ? {} : { probe: () => ready().then(() => true) }),
    },
  });
  return {
    pid: child.pid,
    port: port!,
    peakRssMib: () => peakRssMib(child.pid),
    async stop() {
      await child.stop();
    },
  };
}
