import { create } from '@bufbuild/protobuf';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runService, type RunningService } from '@verdict/grpc-kit';
import { driftV1 } from '@verdict/proto';
import { EXPERIMENTS_PERMISSIONS } from '@verdict/security';
import { createRandom } from '@verdict/stats';
import { createMemoryStore } from '@verdict/store';
import { Registry } from '@verdict/telemetry';
import { freePort } from '@verdict/process';
// The analyzer's real DriftService, in-process: the model server is tested against what it calls.
import { configSchema as analyzerConfigSchema } from '../../experiment-analyzer/src/config';
import {
  createDriftService,
  type DriftService,
} from '../../experiment-analyzer/src/drift/drift-service';
import { buildReferenceProfile } from '@verdict/drift';
import {
  startModelServerStack,
  TEST_MLP,
  type ModelServerStack,
} from './testing/model-server-stack';

const ANALYZER_POLICY = `
roles:
  sampler: [experiment:ingest]
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/model-server']
    roles: [sampler]
`;

function rows(seed: number, count: number, shift = 0): number[][] {
  const random = createRandom(seed);
  return Array.from({ length: count }, () =>
    Array.from(
      { length: TEST_MLP.inputSize },
      (_, column) => random.normal() + (column === 3 ? shift : 0),
    ),
  );
}

async function eventually(check: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('drift sampling', () => {
  let stack: ModelServerStack | undefined;
  let analyzer: RunningService | undefined;
  let drift: DriftService;

  afterAll(async () => {
    await stack?.stop();
    await analyzer?.stop();
  });

  it('sends sampled input rows to the analyzer, which sees one shifted feature drift', async () => {
    // The model server samples every row towards an analyzer port chosen now; the analyzer
    // starts there next, on the same throw-away PKI.
    const analyzerPort = await freePort();
    stack = await startModelServerStack(
      undefined,
      {},
      {
        drift: { analyzerAddress: `127.0.0.1:${analyzerPort}`, sampleRate: 1 },
      },
    );
    const policyFile = join(stack.dir, 'analyzer-policy.yaml');
    await writeFile(policyFile, ANALYZER_POLICY);
    drift = createDriftService({
      store: createMemoryStore(),
      actor: 'analyzer',
      metrics: new Registry(),
      logger: { info: () => undefined, warn: () => undefined, error: () => undefined },
      triggers: [],
      settings: { windowRows: 100, stepRows: 100, persistWindows: 2 },
    });
    analyzer = await runService({
      name: 'experiment-analyzer',
      permissions: EXPERIMENTS_PERMISSIONS,
      async setup({ server }) {
        server.add(driftV1.DriftService, drift.impl);
        return { stop: async () => undefined };
      },
      config: analyzerConfigSchema.parse({
        grpc: { port: analyzerPort },
        ops: { port: 0 },
        tls: {
          mode: 'mtls',
          caFile: stack.pki.caCert,
          certFile: stack.pki.services['experiment-analyzer'].cert,
          keyFile: stack.pki.services['experiment-analyzer'].key,
        },
        policyFile,
        dataDir: join(stack.dir, 'analyzer'),
        log: { level: 'silent' },
      }),
    });
    const profile = buildReferenceProfile({
      model: 'mlp',
      version: '1',
      input: 'input',
      source: 'test',
      rows: rows(1, 4_000),
    });
    await drift.impl.putReferenceProfile(
      create(driftV1.PutReferenceProfileRequestSchema, { profile }),
      {} as never,
    );
    const client = stack.client('tester');
    const infer = (row: number[]) =>
      client.modelInfer({
        modelName: 'mlp',
        inputs: [
          {
            name: 'input',
            datatype: 'FP32',
            shape: [1n, BigInt(row.length)],
            contents: { fp32Contents: row },
          },
        ],
      });
    for (const row of rows(2, 100)) await infer(row);
    for (const row of rows(3, 200, 1)) await infer(row);
    const status = async () =>
      (await drift.impl.getDriftStatus(
        create(driftV1.GetDriftStatusRequestSchema, { model: 'mlp', version: '1' }),
        {} as never,
      )) as driftV1.GetDriftStatusResponse;
    await eventually(async () => (await status()).windows.length === 3);
    const windows = (await status()).windows;
    expect(windows.map((window) => window.drifted)).toEqual([false, true, true]);
    expect(
      windows[2].features.filter((feature) => feature.drifted).map((feature) => feature.feature),
    ).toEqual(['input[3]']);
    await drift.settled();
    const alerts = (await drift.impl.listDriftAlerts(
      create(driftV1.ListDriftAlertsRequestSchema, { model: 'mlp' }),
      {} as never,
    )) as driftV1.ListDriftAlertsResponse;
    expect(alerts.alerts).toHaveLength(1);
  }, 60_000);
});
