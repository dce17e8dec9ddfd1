import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { parseRequestTarget, refuseConnectRequests } from './http-guards';
import type { Registry } from 'prom-client';
import type { Readiness, ReadinessState } from './readiness';

/** A readiness source: a {@link Readiness} switch or a function asked on every probe. */
export type ReadinessProbe =
  Readiness | (() => boolean | ReadinessState | Promise<boolean | ReadinessState>);

/** Options of {@link startOpsServer}. */
export interface OpsServerOptions {
  /**
   * Interface to listen on; use `0.0.0.0` in a pod so the kubelet can reach the probes.
   * @default '127.0.0.1'
   */
  host?: string;
  /** Port to listen on; 0 picks a free port (read it back from `port`). */
  port: number;
  /** Served on `/metrics`. */
  registry: Registry;
  /**
   * Asked on every `/readyz`.
   * @default always ready while the process runs
   */
  readiness?: ReadinessProbe;
  /**
   * Longest wait for an asynchronous readiness answer; a slower one counts as not ready.
   * @default 1000
   */
  readinessTimeoutMs?: number;
  /**
   * Receives failures to render metrics or to ask readiness.
   * @default undefined (failures only show in the HTTP answer)
   */
  logger?: Logger;
}

/** A running ops server. */
export interface OpsServer {
  /** The port actually bound (useful with `port: 0`). */
  readonly port: number;
  /** `http://<host>:<port>`, without a trailing slash. */
  readonly url: string;
  /** Stops listening and closes open connections. */
  close(): Promise<void>;
}

const DEFAULTS = { host: '127.0.0.1', readinessTimeoutMs: 1000 } as const;

const TEXT = 'text/plain; charset=utf-8';

/**
 * Starts the plain-HTTP endpoint Kubernetes and Prometheus talk to (kubelet probes do not
 * speak TLS, so this is deliberately separate from the mTLS gRPC port):
 * `GET /metrics` (Prometheus text), `GET /healthz` (200 while the process runs),
 * `GET /readyz` (200 when ready, 503 with the reason otherwise). Other paths answer 404,
 * other methods on these paths 405 (CONNECT included), a target that is not a path 400.
 */
export async function startOpsServer(options: OpsServerOptions): Promise<OpsServer> {
  const host = options.host ?? DEFAULTS.host;
  const readinessTimeoutMs = options.readinessTimeoutMs ?? DEFAULTS.readinessTimeoutMs;
  const routes: Record<string, (response: ServerResponse) => Promise<void>> = {
    '/metrics': (response) => serveMetrics(options, response),
    '/healthz': async (response) => reply(response, 200, 'ok\n'),
    '/readyz': (response) => serveReadiness(options, readinessTimeoutMs, response),
  };

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const url = parseRequestTarget(request.url);
    if (url === undefined) {
      reply(response, 400, 'bad request target: expected a path such as /metrics\n');
      return;
    }
    const path = url.pathname;
    const route = routes[path];
    if (!route) {
      reply(response, 404, `not found: ${path} (try /metrics, /healthz, /readyz)\n`);
      return;
    }
    if (request.method !== 'GET') {
      response.setHeader('allow', 'GET');
      reply(response, 405, `method ${request.method ?? ''} not allowed on ${path}: use GET\n`);
      return;
    }
    route(response).catch((error: unknown) => {
      options.logger?.error({ err: error, path }, 'ops request failed');
      response.destroy();
    });
  });
  refuseConnectRequests(server);

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    port,
    url: `http://${urlHost}:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Scrapers keep connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function serveMetrics(options: OpsServerOptions, response: ServerResponse): Promise<void> {
  try {
    const body = await options.registry.metrics();
    reply(response, 200, body, options.registry.contentType);
  } catch (error) {
    options.logger?.error({ err: error }, 'rendering /metrics failed');
    reply(response, 500, `metrics unavailable: ${describe(error)}\n`);
  }
}

async function serveReadiness(
  options: OpsServerOptions,
  timeoutMs: number,
  response: ServerResponse,
): Promise<void> {
  let state: ReadinessState;
  try {
    state = await askReadiness(options.readiness, timeoutMs);
  } catch (error) {
    options.logger?.warn({ err: error }, 'readiness check failed');
    state = { ready: false, reason: `readiness check failed: ${describe(error)}` };
  }
  if (state.ready) {
    reply(response, 200, 'ok\n');
  } else {
    reply(response, 503, `not ready: ${state.reason ?? 'no reason given'}\n`);
  }
}

async function askReadiness(
  probe: ReadinessProbe | undefined,
  timeoutMs: number,
): Promise<ReadinessState> {
  if (probe === undefined) {
    return { ready: true };
  }
  const pending = typeof probe === 'function' ? probe() : probe.check();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<ReadinessState>((resolve) => {
    timer = setTimeout(
      () => resolve({ ready: false, reason: `readiness check timed out after ${timeoutMs} ms` }),
      timeoutMs,
    );
  });
  try {
    const answer = await Promise.race([Promise.resolve(pending), timeout]);
    return typeof answer === 'boolean' ? { ready: answer } : answer;
  } finally {
    clearTimeout(timer);
  }
}

function reply(response: ServerResponse, status: number, body: string, contentType = TEXT): void {
  response.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
  response.end(body);
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
