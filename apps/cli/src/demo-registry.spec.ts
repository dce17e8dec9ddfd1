import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runService, type RunningService } from '@verdict/grpc-kit';
import { buildMlp } from '@verdict/model-zoo';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { readConfig } from '../../registry/src/config';
import { setupRegistry } from '../../registry/src/service';
import { connectRegistry } from './commands/model-client';
import { seedDemoRegistry } from './demo-registry';
import { createServiceTestBed, type ServiceTestBed } from './testing/service-test-bed';

const POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

/** Registry seeding of `verdict dev` against a real registry over mutual TLS. */
describe('seedDemoRegistry', () => {
  let bed: ServiceTestBed;
  let dir: string;
  let pkiDir: string;
  let service: RunningService;

  beforeAll(async () => {
    bed = await createServiceTestBed('verdict-cli-demo-registry-', POLICY);
    ({ dir, pkiDir } = bed);
    for (const version of [1, 2]) {
      await mkdir(join(dir, 'models', 'spam', String(version)), { recursive: true });
      await writeFile(
        join(dir, 'models', 'spam', String(version), 'model.onnx'),
        buildMlp({ inputSize: 8, hiddenSizes: [4], outputSize: 2, seed: version }),
      );
    }
    service = await runService({
      name: 'registry',
      config: readConfig(bed.serviceEnv),
      permissions: REGISTRY_PERMISSIONS,
      setup: setupRegistry,
    });
  }, 30_000);

  afterAll(async () => {
    await service?.stop();
    await bed?.remove();
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
