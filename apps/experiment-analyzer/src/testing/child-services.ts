import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { DevPki } from '@verdict/security';

const APPS = join(__dirname, '..', '..', '..');

/** A Verdict service started as its own process, from its TypeScript entry point. */
export interface ChildService {
  readonly child: ChildProcess;
  readonly address: string;
  /** Log lines it wrote, for a failing test's message. */
  readonly lines: string[];
  stop(): Promise<void>;
}

/**
 * Starts `apps/<app>/src/main.ts` with tsx over mutual TLS with the dev PKI's identity for
 * `identity`, on port 0; resolves once it logs its gRPC port.
 */
export async function startChildService(options: {
  app: string;
  identity: string;
  pki: DevPki;
  policyFile: string;
  dataDir: string;
  env?: Record<string, string>;
}): Promise<ChildService> {
  const { pki } = options;
  const identity = pki.services[options.identity];
  if (identity === undefined) throw new Error(`the dev PKI has no identity ${options.identity}`);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(APPS, options.app, 'src', 'main.ts')],
    {
      cwd: join(APPS, options.app),
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        VERDICT_GRPC_PORT: '0',
        VERDICT_OPS_PORT: '0',
        VERDICT_TLS_CA_FILE: pki.caCert,
        VERDICT_TLS_CERT_FILE: identity.cert,
        VERDICT_TLS_KEY_FILE: identity.key,
        VERDICT_POLICY_FILE: options.policyFile,
        VERDICT_DATA_DIR: options.dataDir,
        ...options.env,
      },
    },
  );
  const lines: string[] = [];
  createInterface({ input: child.stderr! }).on('line', (line) => lines.push(line));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    await once(child, 'exit');
  };
  for await (const line of createInterface({ input: child.stdout! })) {
    lines.push(line);
    let entry: { grpc_port?: number };
    try {
      entry = JSON.parse(line) as { grpc_port?: number };
    } catch {
      continue;
    }
    if (entry.grpc_port !== undefined) {
      // Keep draining stdout so the child never blocks on a full pipe.
      child.stdout!.on('data', (chunk: Buffer) => lines.push(chunk.toString())).resume();
      return { child, address: `127.0.0.1:${entry.grpc_port}`, lines, stop };
    }
  }
  throw new Error(`${options.app} exited before it was ready:\n${lines.join('\n')}`);
}
