import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { startOtlpReceiver, type OtlpReceiver } from '@verdict/telemetry/testing';
import {
  createRouterTestEnv,
  mlpRequest,
  startModelServerProcess,
  startRouterProcess,
  waitUntil,
  writeTableFile,
  type InferenceClient,
  type ModelServerProcess,
  type RouterProcess,
  type RouterTestEnv,
} from './testing/router-stack';
import { createClient } from '@verdict/grpc-kit';
import { inference } from '@verdict/proto';

describe('router process: one trace spans client, router and model server', () => {
  let env: RouterTestEnv;
  let otlp: OtlpReceiver;
  let server: ModelServerProcess;
  let router: RouterProcess;
  let client: InferenceClient;

  beforeAll(async () => {
    env = await createRouterTestEnv();
    otlp = await startOtlpReceiver();
    server = await startModelServerProcess(env, 'ms-trace', undefined, {
      VERDICT_OTLP_ENDPOINT: otlp.endpoint,
    });
    const tableFile = join(env.dir, 'routes.json');
    await writeTableFile(tableFile, {
      version: 1n,
      pools: [{ name: 'local', region: 'local', endpoints: [server.address] }],
      models: [
        {
          model: 'mlp',
          defaultVariant: {
            name: 'stable',
            target: { case: 'version', value: 2n },
            pool: 'local',
            control: true,
          },
        },
      ],
    });
    router = await startRouterProcess(env, {
      VERDICT_ROUTING_TABLE_FILE: tableFile,
      VERDICT_OTLP_ENDPOINT: otlp.endpoint,
    });
    client = createClient(inference.GRPCInferenceService, {
      address: router.address,
      transport: env.transport('developer'),
    });
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await router?.stop();
    await server?.stop();
    await otlp?.close();
    await env?.remove();
  });

  it('continues the caller traceparent in the router and passes it on to the model server', async () => {
    const traceId = randomBytes(16).toString('hex');
    const callerSpanId = randomBytes(8).toString('hex');
    let trailers: Record<string, string> = {};
    const response = await client.modelInfer(mlpRequest('traced-1'), {
      headers: { traceparent: `00-${traceId}-${callerSpanId}-01` },
      onTrailer: (t) => (trailers = t),
    });
    expect(response.modelVersion).toBe('2');
    expect(trailers['x-verdict-variant']).toBe('stable');
    // Both processes export their spans when they stop.
    await router.stop();
    await server.stop();
    await waitUntil(
      () => otlp.spans.filter((s) => s.traceId === traceId).length >= 3,
      15_000,
      'spans of the trace',
    );
    const spans = otlp.spans.filter((s) => s.traceId === traceId);
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const modelServer = spans.find((s) => s.service === 'model-server' && s.kind === 2)!;
    expect(modelServer.name).toBe('inference.GRPCInferenceService/ModelInfer');
    const routerClient = byId.get(modelServer.parentSpanId)!;
    expect(routerClient).toMatchObject({ service: 'router', kind: 3 });
    const routerServer = byId.get(routerClient.parentSpanId)!;
    expect(routerServer).toMatchObject({
      service: 'router',
      kind: 2,
      name: 'inference.GRPCInferenceService/ModelInfer',
      parentSpanId: callerSpanId,
    });
  });
});
