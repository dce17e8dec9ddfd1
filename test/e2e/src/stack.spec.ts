import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { status } from '@grpc/grpc-js';
import { auditV1, health, inference } from '@verdict/proto';
import {
  SERVICE_NAMES,
  appEntry,
  freePort,
  startStack,
  survivingProcesses,
  type Stack,
} from './harness';

describe('the dev stack (verdict dev) as real processes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it.each(SERVICE_NAMES)(
    '%s answers Health/Check SERVING over mTLS with the dev client certificate',
    async (name) => {
      const client = stack.client(name, health.Health);
      try {
        const response = await client.check({ service: '' });
        expect(response.status).toBe(health.HealthCheckResponse_ServingStatus.SERVING);
      } finally {
        client.close();
      }
    },
  );

  it.each(SERVICE_NAMES)(
    '%s serves /metrics that promtool accepts, and /healthz and /readyz',
    async (name) => {
      const metrics = await fetch(`${stack.ops[name]}/metrics`);
      expect(metrics.status).toBe(200);
      expect(metrics.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const body = await metrics.text();
      expect(body).toContain(`service="${name}"`);
      const check = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
      if (check.error)
        throw new Error(
          `promtool is not installed (apt-get install prometheus): ${check.error.message}`,
        );
      expect({ status: check.status, output: `${check.stdout}${check.stderr}` }).toEqual({
        status: 0,
        output: '',
      });
      expect((await fetch(`${stack.ops[name]}/healthz`)).status).toBe(200);
      expect((await fetch(`${stack.ops[name]}/readyz`)).status).toBe(200);
    },
  );

  it('counts RPCs in the RED metrics', async () => {
    const client = stack.client('audit', health.Health);
    await client.check({ service: '' });
    client.close();
    const body = await (await fetch(`${stack.ops.audit}/metrics`)).text();
    expect(body).toMatch(
      /rpc_server_requests_total\{method="\/grpc\.health\.v1\.Health\/Check",code="OK",service="audit"\} [1-9]/,
    );
  });

  it('the router answers ServerLive and ServerReady for itself (a routing table and a healthy pool)', async () => {
    const client = stack.client('router', inference.GRPCInferenceService);
    try {
      expect(await client.serverLive({})).toMatchObject({ live: true });
      expect(await client.serverReady({})).toMatchObject({ ready: true });
    } finally {
      client.close();
    }
  });

  it('serves the demo spam models from the model server', async () => {
    const client = stack.client('model-server', inference.GRPCInferenceService);
    for (const version of ['1', '2']) {
      expect(await client.modelReady({ name: 'spam', version })).toMatchObject({ ready: true });
    }
    client.close();
  });

  it('refuses a service identity without the permission, naming method and principal', async () => {
    const client = stack.client('audit', auditV1.AuditService, 'model-server');
    const failure = client.query({});
    await expect(failure).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
    const details = await failure.catch((error: { details: string }) => error.details);
    expect(details).toContain('/verdict.audit.v1.AuditService/Query');
    expect(details).toContain('spiffe://verdict.local/ns/default/sa/model-server');
    client.close();
  });
});

describe('a service with a bad setting', () => {
  it('stops at start with a message naming the setting and what was expected', async () => {
    const child = spawn(process.execPath, [appEntry('audit')], {
      env: {
        ...process.env,
        VERDICT_GRPC_PORT: 'abc',
        VERDICT_OPS_PORT: String(await freePort()),
        VERDICT_TLS_MODE: 'mesh',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = await once(child, 'exit');
    expect(code).toBe(2);
    expect(stderr).toContain('VERDICT_GRPC_PORT');
    expect(stderr).toMatch(/expected .*integer/);
    expect(stderr).toContain('"abc"');
  });
});

describe('stopping the stack', () => {
  it('Ctrl-C stops every service and verdict dev exits 0', async () => {
    const stack = await startStack();
    // stop() sends SIGINT to the whole process group, as Ctrl-C in a terminal does.
    const code = await stack.stop();
    expect(code).toBe(0);
    // Each service drains once: one "shutting down", never "second signal while draining".
    const width = Math.max(...SERVICE_NAMES.map((name) => name.length));
    for (const name of SERVICE_NAMES) {
      const own = stack.output.filter((line) => line.startsWith(`${name.padEnd(width)} | `));
      expect(own.filter((line) => / shutting down /.test(line))).toHaveLength(1);
    }
    expect(stack.output.filter((line) => line.includes('second signal'))).toEqual([]);
    for (const name of SERVICE_NAMES) {
      await expect(fetch(`${stack.ops[name]}/healthz`)).rejects.toThrow();
    }
    expect(stack.output.filter((line) => /stopped forced=false/.test(line))).toHaveLength(
      SERVICE_NAMES.length,
    );
  });

  it('services drain and exit on their own when verdict dev is killed outright', async () => {
    const stack = await startStack();
    expect(stack.servicePids).toHaveLength(SERVICE_NAMES.length);
    await stack.cli.kill();
    // No service may remain: each saw its IPC channel close and drained.
    expect(await survivingProcesses(stack.servicePids)).toEqual([]);
    for (const name of SERVICE_NAMES) {
      await expect(fetch(`${stack.ops[name]}/healthz`)).rejects.toThrow();
    }
    await stack.stop();
  });
});
