import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FailedPreconditionError, UnavailableError } from '@verdict/errors';

/** A redis-server started by {@link startRedisServer}. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Stops the server (SIGTERM, then SIGKILL after `stopTimeoutMs`) and removes its directory. */
  stop(): Promise<void>;
}

/** Options of {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /**
   * The redis-server executable.
   * @default 'redis-server' (looked up on PATH)
   */
  command?: string;
  /**
   * How long to wait for the server to answer.
   * @default 10000
   */
  startTimeoutMs?: number;
  /**
   * How long `stop()` waits after SIGTERM before SIGKILL.
   * @default 5000
   */
  stopTimeoutMs?: number;
  /**
   * Attempts when the chosen free port is taken by someone else before the server binds it.
   * @default 3
   */
  attempts?: number;
}

const DEFAULTS: Required<StartRedisServerOptions> = {
  command: 'redis-server',
  startTimeoutMs: 10_000,
  stopTimeoutMs: 5_000,
  attempts: 3,
};

/** Pause between attempts to reach the server while it starts. */
const POLL_INTERVAL_MS = 25;

/**
 * Starts a private, non-persistent redis-server on a free port of 127.0.0.1 for tests, and
 * resolves once it answers (INFO shows the spawned pid). Plain Node (no test framework), so
 * any package's tests can use it. Fails, never skips, when redis-server is not installed.
 */
export async function startRedisServer(
  options: StartRedisServerOptions = {},
): Promise<RedisServer> {
  const settings = {
    ...DEFAULTS,
    ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
  };
  let lastError: unknown;
  for (let attempt = 0; attempt < settings.attempts; attempt++) {
    const port = await freePort();
    const directory = await mkdtemp(join(tmpdir(), 'verdict-redis-'));
    try {
      return await launch(settings, port, directory);
    } catch (error) {
      await rm(directory, { recursive: true, force: true });
      if (error instanceof FailedPreconditionError) {
        throw error;
      }
      lastError = error;
    }
  }
  throw lastError;
}

async function launch(
  settings: Required<StartRedisServerOptions>,
  port: number,
  directory: string,
): Promise<RedisServer> {
  const child = spawn(
    settings.command,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      directory,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', (error: NodeJS.ErrnoException) => {
      reject(
        error.code === 'ENOENT'
          ? new FailedPreconditionError(
              `${settings.command} not found: the Redis store tests need a local Redis server; ` +
                `install it (apt-get install redis-server) so that '${settings.command}' is on PATH`,
              { cause: error },
            )
          : error,
      );
    });
  });
  await spawned;
  // Never leave a redis-server behind if the test process exits without stopping it.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);

  const deadline = Date.now() + settings.startTimeoutMs;
  let running = true;
  void exited.then(() => {
    running = false;
  });
  // The pid check makes sure the server answering is ours, not one that took the port first.
  while ((await serverPid(port)) !== child.pid) {
    if (!running || Date.now() > deadline) {
      process.removeListener('exit', killOnExit);
      child.kill('SIGKILL');
      await exited;
      throw new UnavailableError(
        `redis-server on port ${port} ${running ? 'did not answer in time' : 'exited'}: ${output.trim()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, POLL_INTERVAL_MS));
  }

  let stopping: Promise<void> | undefined;
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop: () =>
      (stopping ??= (async () => {
        process.removeListener('exit', killOnExit);
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), settings.stopTimeoutMs);
          await exited;
          clearTimeout(timer);
        }
        await rm(directory, { recursive: true, force: true });
      })()),
  };
}

/** A port that was free a moment ago (the server binds it right after). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The pid of the Redis server answering on the port (from INFO), or undefined. */
function serverPid(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let reply = '';
    const finish = (pid: number | undefined) => {
      socket.destroy();
      resolve(pid);
    };
    socket.setTimeout(1000, () => finish(undefined));
    socket.once('error', () => finish(undefined));
    socket.once('close', () => finish(undefined));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      const pid = /process_id:(\d+)\r\n/.exec(reply);
      if (pid !== null) {
        finish(Number(pid[1]));
      } else if (reply.startsWith('-') && reply.includes('\r\n')) {
        finish(undefined);
      }
    });
  });
}
