import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { createMetricsRegistry, createRpcMetrics, startOpsServer, type OpsServer } from './index';

const INSTALL_HINT =
  "promtool is not installed: install Debian's prometheus package " +
  '(apt-get install -y --no-install-recommends prometheus); .ci/run installs it on CI';

interface PromtoolResult {
  code: number | null;
  output: string;
}

// Prometheus' own linter is the judge of the exposition format, not our reading of it.
function promtoolCheckMetrics(body: string): Promise<PromtoolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'ENOENT' ? new Error(INSTALL_HINT) : error),
    );
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(body);
  });
}

function get(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    request(url, { agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    })
      .on('error', reject)
      .end();
  });
}

describe('/metrics accepted by promtool', () => {
  let server: OpsServer | undefined;
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  it('passes `promtool check metrics` with process and RPC metrics', async () => {
    const registry = createMetricsRegistry({ service: 'model-server' });
    const rpc = createRpcMetrics(registry);
    rpc.started('/inference.GRPCInferenceService/ModelInfer');
    rpc.finished('/inference.GRPCInferenceService/ModelInfer', 'OK', 0.012);
    rpc.started('/inference.GRPCInferenceService/ModelReady');
    rpc.finished('/inference.GRPCInferenceService/ModelReady', 'UNAVAILABLE', 0.0004);
    server = await startOpsServer({ port: 0, registry });

    const body = await get(`${server.url}/metrics`);
    const result = await promtoolCheckMetrics(body);

    expect(body).toContain('rpc_server_requests_total');
    expect(result).toEqual({ code: 0, output: '' });
  });

  it('is not fooled: promtool rejects a malformed exposition', async () => {
    const result = await promtoolCheckMetrics('# TYPE broken counter\nbroken{label="x} 1\n');
    expect(result.code).not.toBe(0);
  });
});
