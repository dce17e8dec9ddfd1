/** Child processes of bench/registry: the registry itself and the bare floor server. */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** The repository root, where children run so tsx finds the sources. */
export const REPO_ROOT = join(__dirname, '..', '..');
/** How long a child may take to start listening. */
const START_TIMEOUT_MS = 60_000;

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
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

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
  const typescript = options.entry.endsWith('.ts');
  const args = typescript ? ['--import', 'tsx', options.entry] : [options.entry];
  const child: ChildProcess = spawn(process.execPath, args, {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      ...(typescript ? { TSX_TSCONFIG_PATH: options.tsconfig } : {}),
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`${options.entry} exited with ${code}`))),
  );
  exited.catch(() => undefined);
  let port = options.port;
  if (options.portFromLine !== undefined) {
    port = await Promise.race([
      exited,
      new Promise<number>((resolve) => {
        let text = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          text += chunk.toString();
          for (const line of text.split('\n')) {
            const found = options.portFromLine!(line);
            if (found !== undefined) resolve(found);
          }
        });
      }),
    ]);
  } else {
    child.stdout!.resume();
  }
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    try {
      await Promise.race([exited, options.ready?.()]);
      break;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  return {
    pid: child.pid!,
    port: port!,
    peakRssMib: () => peakRssMib(child.pid!),
    async stop() {
      if (child.exitCode !== null) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await gone;
    },
  };
}
