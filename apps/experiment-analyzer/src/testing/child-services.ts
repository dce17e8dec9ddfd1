import { join } from 'node:path';
import { createClient } from '@verdict/grpc-kit';
import { launch, type LaunchedProcess } from '@verdict/process';
import { health } from '@verdict/proto';
import type { DevPki } from '@verdict/security';

const APPS = join(__dirname, '..', '..', '..');

/** A Verdict service started as its own process, from its TypeScript entry point. */
export interface ChildService {
  readonly child: LaunchedProcess;
  readonly address: string;
  /** Its latest log lines, for a failing test's message. */
  readonly lines: readonly string[];
  stop(): Promise<void>;
}

/**
 * Starts `apps/<app>/src/main.ts` with tsx over mutual TLS with the dev PKI's identity for
 * `identity`, on port 0; resolves once it logs its gRPC port and grpc.health.v1 answers SERVING
 * (the port line can come a moment before the server's certificates are loaded, and a handshake
 * then fails).
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
  let address = '';
  const client = lazyHealthClient(() => address, pki);
  const child = await launch({
    name: options.app,
    entry: join(APPS, options.app, 'src', 'main.ts'),
    cwd: join(APPS, options.app),
    env: {
      VERDICT_GRPC_PORT: '0',
      VERDICT_OPS_PORT: '0',
      VERDICT_TLS_CA_FILE: pki.caCert,
      VERDICT_TLS_CERT_FILE: identity.cert,
      VERDICT_TLS_KEY_FILE: identity.key,
      VERDICT_POLICY_FILE: options.policyFile,
      VERDICT_DATA_DIR: options.dataDir,
      ...options.env,
    },
    ready: {
      line: (line) => {
        const port = grpcPortOf(line);
        if (port !== undefined) address = `127.0.0.1:${port}`;
        return port !== undefined;
      },
      probe: client.serving,
    },
  }).finally(client.close);
  return {
    child,
    address,
    lines: child.lines,
    stop: async () => void (await child.stop()),
  };
}

/** The gRPC port a service logs once it listens (`{"grpc_port":N,...}`), if this is that line. */
function grpcPortOf(line: string): number | undefined {
  try {
    return (JSON.parse(line) as { grpc_port?: number }).grpc_port;
  } catch {
    return undefined;
  }
}

/** A health client made on first use, once the address is known. */
function lazyHealthClient(address: () => string, pki: DevPki) {
  let client: ReturnType<typeof createClient<typeof health.Health.method>> | undefined;
  return {
    serving: async () => {
      client ??= createClient(health.Health, {
        address: address(),
        transport: {
          mode: 'mtls',
          caFile: pki.caCert,
          certFile: pki.client.cert,
          keyFile: pki.client.key,
        },
      });
      const { status } = await client.check({ service: '' }, { timeoutMs: 1000 });
      return status === health.HealthCheckResponse_ServingStatus.SERVING;
    },
    close: () => client?.close(),
  };
}
