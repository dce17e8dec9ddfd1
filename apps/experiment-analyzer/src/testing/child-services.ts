import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createClient } from '@verdict/grpc-kit';
import { health } from '@verdict/proto';
import type { DevPki } from '@verdict/security';

const APPS = join(__dirname, '..', '..', '..');

/**
 * Waits until grpc.health.v1 answers SERVING over mutual TLS: the ready log line can come a
 * moment before the server's certificates are loaded, and a handshake then fails.
 */
async function untilServing(address: string, pki: DevPki, child: ChildProcess, lines: string[]) {
  const client = createClient(health.Health, {
    address,
    transport: {
      mode: 'mtls',
      caFile: pki.caCert,
      certFile: pki.client.cert,
      keyFile: pki.client.key,
    },
  });
  try {
    for (let attempt = 0; ; attempt++) {
      if (child.exitCode !== null)
        throw new Error(`exited with ${child.exitCode}:\n${lines.join('\n')}`);
      try {
        const { status } = await client.check({ service: '' }, { timeoutMs: 1000 });
        if (status === health.HealthCheckResponse_ServingStatus.SERVING) return;
      } catch (error) {
        if (attempt === 100) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
}

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
      const address = `127.0.0.1:${entry.grpc_port}`;
      await untilServing(address, pki, child, lines);
      return { child, address, lines, stop };
    }
  }
  throw new Error(`${options.app} exited before it was ready:\n${lines.join('\n')}`);
}
