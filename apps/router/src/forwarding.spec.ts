import { createHash, createHmac } from 'node:crypto';
import { create, toBinary } from '@bufbuild/protobuf';
import { join } from 'node:path';
import { Code } from '@verdict/errors';
import { auditV1, experimentsV1, inference } from '@verdict/proto';
import { startAuditSpy, type AuditSpy } from './testing/fake-upstreams';
import {
  createRouterTestEnv,
  mlpRequest,
  startModelServerProcess,
  startRouter,
  waitUntil,
  writeTableFile,
  type ModelServerProcess,
  type RouterTestEnv,
  type RouterUnderTest,
} from './testing/router-stack';

describe('router forwarding: streams and audit records', () => {
  let env: RouterTestEnv;
  let server: ModelServerProcess;
  let audit: AuditSpy;
  let router: RouterUnderTest;

  beforeAll(async () => {
    env = await createRouterTestEnv();
    server = await startModelServerProcess(env, 'ms-forward');
    audit = await startAuditSpy(env);
    const tableFile = join(env.dir, 'routes.json');
    await writeTableFile(tableFile, {
      version: 7n,
      pools: [{ name: 'local', region: 'local', endpoints: [server.address] }],
      models: [
        {
          model: 'mlp',
          defaultVariant: {
            name: 'stable',
            target: { case: 'version', value: 1n },
            pool: 'local',
            control: true,
          },
          experiments: [
            {
              experimentId: 'exp-fwd',
              kind: experimentsV1.ExperimentKind.AB,
              enabled: true,
              salt: 'salt-fwd',
              unitParameter: 'user',
              variants: [
                {
                  name: 'control',
                  target: { case: 'version', value: 1n },
                  pool: 'local',
                  control: true,
                  buckets: [{ start: 0, end: 5000 }],
                },
                {
                  name: 'treatment',
                  target: { case: 'version', value: 2n },
                  pool: 'local',
                  buckets: [{ start: 5000, end: 10000 }],
                },
              ],
            },
          ],
        },
      ],
    });
    router = await startRouter(env, {
      routing: { tableFile },
      audit: { address: audit.address, unitHashKey: 'a-test-key-of-sixteen-bytes' },
    });
    await waitUntil(() => router.router.ready(), 20_000, 'router ready');
  }, 90_000);

  afterAll(async () => {
    await router?.stop();
    await server?.stop();
    await audit?.stop();
    await env?.remove();
  });

  it('routes each request of a ModelStreamInfer stream on its own, answers in order, and reports a bad one in-stream', async () => {
    const client = router.client();
    const requests = Array.from({ length: 24 }, (_, i) =>
      i === 11
        ? mlpRequest(`stream-${i}`, { modelName: '' })
        : mlpRequest(`stream-${i}`, { parameters: { user: `u${i}` } }),
    );
    let trailers: Record<string, string> = {};
    const answers = [];
    for await (const answer of client.modelStreamInfer(requests, {
      onTrailer: (t) => (trailers = t),
    })) {
      answers.push(answer);
    }
    expect(answers.map((a) => a.inferResponse?.id)).toEqual(requests.map((r) => r.id));
    expect(answers[11].errorMessage).toBe(
      'INVALID_ARGUMENT: model_name: expected the name of a model, got an empty string',
    );
    const versions = new Set(
      answers.filter((_, i) => i !== 11).map((a) => a.inferResponse?.modelVersion),
    );
    expect(versions).toEqual(new Set(['1', '2']));
    for (const [i, answer] of answers.entries()) if (i !== 11) expect(answer.errorMessage).toBe('');
    expect(trailers['x-verdict-experiment']).toBe('exp-fwd');
  });

  it('writes one metadata-only audit record per request', async () => {
    const client = router.client();
    const request = mlpRequest('audited-1');
    await client.modelInfer(request, { headers: { 'x-verdict-unit': 'alice' } });
    await waitUntil(
      () => audit.records.some((r) => r.serving?.requestId === 'audited-1'),
      10_000,
      'audit record',
    );
    const records = audit.records.filter((r) => r.serving?.requestId === 'audited-1');
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(record.action).toBe('inference.request');
    expect(record.actor).toBe('spiffe://verdict.local/ns/default/sa/developer');
    expect(record.resource).toBe('model/mlp');
    const serving = record.serving!;
    expect(serving.experiment).toBe('exp-fwd');
    expect(['control', 'treatment']).toContain(serving.variant);
    expect(serving.version).toBe(serving.variant === 'control' ? '1' : '2');
    expect(serving.statusCode).toBe(0);
    expect(serving.unitHash).toBe(
      createHmac('sha256', 'a-test-key-of-sixteen-bytes').update('alice').digest('hex'),
    );
    // input_sha256 covers the encoded input tensors and raw contents, in wire order.
    const tensor = Buffer.from(
      toBinary(
        inference.ModelInferRequest_InferInputTensorSchema,
        create(inference.ModelInferRequest_InferInputTensorSchema, request.inputs![0]),
      ),
    );
    const raw = Buffer.from(request.rawInputContents![0]);
    expect(serving.inputSha256).toBe(createHash('sha256').update(tensor).update(raw).digest('hex'));
    expect(serving.inputBytes).toBe(BigInt(tensor.length + raw.length));
  });

  it('audits a refused request too, with its status code', async () => {
    await expect(
      router.client().modelInfer(mlpRequest('audited-missing', { modelName: 'nope' })),
    ).rejects.toMatchObject({ code: Code.NOT_FOUND });
    await waitUntil(
      () => audit.records.some((r) => r.serving?.requestId === 'audited-missing'),
      10_000,
      'audit record of the refusal',
    );
    const record = audit.records.find((r) => r.serving?.requestId === 'audited-missing')!;
    expect(record.outcome).toBe(auditV1.Outcome.FAILURE);
    expect(record.serving).toMatchObject({ model: 'nope', statusCode: Code.NOT_FOUND });
  });
});
