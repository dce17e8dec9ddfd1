import { request } from 'node:http';
import { connect } from 'node:net';
import {
  createMetricsRegistry,
  createReadiness,
  createRpcMetrics,
  startOpsServer,
  type OpsServer,
  type Registry,
} from './index';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

function call(url: string, method = 'GET'): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

describe('startOpsServer', () => {
  let server: OpsServer | undefined;
  let registry: Registry;
  beforeEach(() => {
    registry = createMetricsRegistry({ service: 'registry', collectDefault: false });
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('serves the RPC metrics in Prometheus text with the registry content type', async () => {
    const rpc = createRpcMetrics(registry);
    rpc.started('/verdict.registry.v1.RegistryService/GetModel');
    rpc.finished('/verdict.registry.v1.RegistryService/GetModel', 'OK', 0.004);
    rpc.started('/verdict.registry.v1.RegistryService/GetModel');
    rpc.finished('/verdict.registry.v1.RegistryService/GetModel', 'NOT_FOUND', 0.02);
    rpc.started('/verdict.registry.v1.RegistryService/ListModels');
    server = await startOpsServer({ port: 0, registry });

    const answer = await call(`${server.url}/metrics`);

    expect(answer.status).toBe(200);
    expect(answer.headers['content-type']).toBe(registry.contentType);
    const method = 'method="/verdict.registry.v1.RegistryService/GetModel"';
    expect(answer.body).toContain('# TYPE rpc_server_requests_total counter');
    expect(answer.body).toContain(
      `rpc_server_requests_total{${method},code="OK",service="registry"} 1`,
    );
    expect(answer.body).toContain(
      `rpc_server_requests_total{${method},code="NOT_FOUND",service="registry"} 1`,
    );
    expect(answer.body).toContain('# TYPE rpc_server_duration_seconds histogram');
    expect(answer.body).toContain(
      `rpc_server_duration_seconds_bucket{le="0.005",service="registry",${method}} 1`,
    );
    expect(answer.body).toContain(
      `rpc_server_duration_seconds_bucket{le="0.025",service="registry",${method}} 2`,
    );
    expect(answer.body).toContain(
      `rpc_server_duration_seconds_count{service="registry",${method}} 2`,
    );
    expect(answer.body).toContain(`rpc_server_inflight_requests{${method},service="registry"} 0`);
    expect(answer.body).toContain(
      'rpc_server_inflight_requests{method="/verdict.registry.v1.RegistryService/ListModels",service="registry"} 1',
    );
  });

  it('includes the Node process metrics unless told not to', async () => {
    const withDefaults = createMetricsRegistry({ service: 'audit' });
    server = await startOpsServer({ port: 0, registry: withDefaults });

    const answer = await call(`${server.url}/metrics`);

    expect(answer.body).toMatch(/^process_cpu_user_seconds_total\{service="audit"\} /m);
    expect(answer.body).toMatch(/^nodejs_heap_size_used_bytes\{service="audit"\} /m);
    expect(answer.body).not.toContain('nodejs_active_handles_total');
    expect(await registry.metrics()).not.toContain('process_cpu_user_seconds_total');
  });

  it('answers /healthz with 200 ok', async () => {
    server = await startOpsServer({ port: 0, registry });
    const answer = await call(`${server.url}/healthz`);
    expect(answer).toMatchObject({ status: 200, body: 'ok\n' });
  });

  it('answers /readyz 503 with the reason until the readiness switch flips', async () => {
    const readiness = createReadiness();
    server = await startOpsServer({ port: 0, registry, readiness });

    expect(await call(`${server.url}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: starting\n',
    });
    readiness.set(true);
    expect(await call(`${server.url}/readyz`)).toMatchObject({ status: 200, body: 'ok\n' });
    readiness.set(false, 'draining');
    expect(await call(`${server.url}/readyz`)).toMatchObject({
      status: 503,
      body: 'not ready: draining\n',
    });
  });

  it('asks a readiness function on every probe, and treats failures and slowness as not ready', async () => {
    const answers: Array<() => Promise<boolean | { ready: boolean; reason?: string }>> = [
      async () => false,
      async () => ({ ready: false, reason: 'models loading' }),
      async () => {
        throw new Error('store unreachable');
      },
      () => new Promise(() => undefined),
      async () => true,
    ];
    let probe = 0;
    server = await startOpsServer({
      port: 0,
      registry,
      readiness: () => answers[probe++]!(),
      readinessTimeoutMs: 50,
    });

    const bodies: Array<[number, string]> = [];
    for (let i = 0; i < answers.length; i++) {
      const answer = await call(`${server.url}/readyz`);
      bodies.push([answer.status, answer.body]);
    }

    expect(bodies).toEqual([
      [503, 'not ready: no reason given\n'],
      [503, 'not ready: models loading\n'],
      [503, 'not ready: readiness check failed: store unreachable\n'],
      [503, 'not ready: readiness check timed out after 50 ms\n'],
      [200, 'ok\n'],
    ]);
  });

  it('is ready without a readiness source', async () => {
    server = await startOpsServer({ port: 0, registry });
    expect((await call(`${server.url}/readyz`)).status).toBe(200);
  });

  it('answers 404 for other paths and 405 for other methods', async () => {
    server = await startOpsServer({ port: 0, registry });

    const missing = await call(`${server.url}/debug`);
    expect(missing.status).toBe(404);
    expect(missing.body).toContain('/debug');
    const post = await call(`${server.url}/metrics`, 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
    expect((await call(`${server.url}/healthz`, 'DELETE')).status).toBe(405);
    expect((await call(`${server.url}/healthz?verbose=1`)).status).toBe(200);
  });

  it('answers 400 to a target that is not a path and 405 to CONNECT, and keeps serving', async () => {
    server = await startOpsServer({ port: 0, registry });
    // `//x` made `new URL(target, base)` throw inside the request listener, which ended the
    // process; CONNECT was closed without an answer.
    const raw = (head: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(server!.port, '127.0.0.1', () =>
          socket.end(`${head}\r\nHost: x\r\nConnection: close\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
        socket.on('error', reject);
        socket.on('close', () => resolve(text));
      });
    expect(await raw('GET //%9%~/x HTTP/1.1')).toMatch(/^HTTP\/1\.1 404 /);
    expect(await raw('GET * HTTP/1.1')).toMatch(/^HTTP\/1\.1 400 /);
    expect(await raw('GET http://elsewhere/healthz HTTP/1.1')).toMatch(/^HTTP\/1\.1 200 /);
    const tunnel = await raw('CONNECT example.com:443 HTTP/1.1');
    expect(tunnel).toMatch(/^HTTP\/1\.1 405 /);
    expect(tunnel).toContain('allow: GET');
    expect((await call(`${server.url}/healthz`)).status).toBe(200);
  });

  it('reports a port already in use instead of hanging', async () => {
    server = await startOpsServer({ port: 0, registry });
    await expect(startOpsServer({ port: server.port, registry })).rejects.toThrow(/EADDRINUSE/);
  });

  it('listens on 127.0.0.1 by default and closes with keep-alive clients connected', async () => {
    server = await startOpsServer({ port: 0, registry });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const keptAlive = await new Promise<number>((resolve, reject) => {
      request(`${server!.url}/healthz`, { headers: { connection: 'keep-alive' } }, (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
      })
        .on('error', reject)
        .end();
    });
    expect(keptAlive).toBe(200);

    await server.close();
    server = undefined;
  });
});
