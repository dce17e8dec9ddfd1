import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runService, type RunningService } from '@verdict/grpc-kit';
import { buildMlp } from '@verdict/model-zoo';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { createTestPki, type TestPki } from '../../../libs/grpc-kit/src/testing/test-pki';
import { readConfig } from '../../registry/src/config';
import { createRegistryService } from '../../registry/src/registry-service';
import { connectRegistry } from './commands/model-client';
import { seedDemoRegistry } from './demo-registry';

const POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

/** Registry seeding of `verdict dev` against a real registry over mutual TLS. */
describe('seedDemoRegistry', () => {
  let pki: TestPki;
  let dir: string;
  let pkiDir: string;
  let service: RunningService;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-demo-registry-'));
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    pkiDir = join(dir, 'pki');
    const client = pki.client('tester') as { caFile: string; certFile: string; keyFile: string };
    await mkdir(pkiDir);
    await copyFile(client.caFile, join(pkiDir, 'ca.pem'));
    await copyFile(client.certFile, join(pkiDir, 'developer.pem'));
    await copyFile(client.keyFile, join(pkiDir, 'developer.key'));
    for (const version of [1, 2]) {
      await mkdir(join(dir, 'models', 'spam', String(version)), { recursive: true });
      await writeFile(
        join(dir, 'models', 'spam', String(version), 'model.onnx'),
        buildMlp({ inputSize: 8, hiddenSizes: [4], outputSize: 2, seed: version }),
      );
    }
    const tls = pki.server('alpha');
    const registry = createRegistryService();
    service = await runService({
      name: 'registry',
      config: readConfig({
        VERDICT_GRPC_PORT: '0',
        VERDICT_OPS_PORT: '0',
        VERDICT_TLS_CA_FILE: tls.caFile,
        VERDICT_TLS_CERT_FILE: tls.certFile,
        VERDICT_TLS_KEY_FILE: tls.keyFile,
        VERDICT_DATA_DIR: join(dir, 'data'),
        VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
        VERDICT_LOG_LEVEL: 'silent',
      }),
      permissions: REGISTRY_PERMISSIONS,
      setup: registry.setup,
      onDenied: registry.onDenied,
    });
  }, 30_000);

  afterAll(async () => {
    await service?.stop();
    await pki?.remove();
    await rm(dir, { recursive: true, force: true });
  }, 20_000);

  it('pushes spam 1 and 2 with spam@production on 1 once, and leaves an existing model alone', async () => {
    const client = connectRegistry({ address: `127.0.0.1:${service.grpcPort}`, pki: pkiDir });
    try {
      expect(await seedDemoRegistry(client, join(dir, 'models'))).toEqual({ created: true });
      const { model, aliases } = await client.getModel({ name: 'spam' });
      expect(model).toMatchObject({ name: 'spam', team: 'demo', latestVersion: 2n });
      expect(aliases.map((a) => [a.name, a.version])).toEqual([['production', 1n]]);

      expect(await seedDemoRegistry(client, join(dir, 'models'))).toEqual({ created: false });
      const again = await client.getModel({ name: 'spam' });
      expect(again.model!.latestVersion).toBe(2n);
    } finally {
      client.close();
    }
  });
});
