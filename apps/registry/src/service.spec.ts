import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { status } from '@grpc/grpc-js';
import { createClient, runService, type RunningService } from '@verdict/grpc-kit';
import { buildMlp } from '@verdict/model-zoo';
import { registryV1 } from '@verdict/proto';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { createTestPki, type TestPki } from '@verdict/grpc-kit/testing';
import { readConfig } from './config';
import { setupRegistry } from './service';

const POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

describe('registry service over mutual TLS', () => {
  let pki: TestPki;
  let dir: string;
  let service: RunningService;
  let client: ReturnType<typeof createClient<typeof registryV1.RegistryService.method>>;

  beforeAll(async () => {
    pki = await createTestPki();
    dir = await mkdtemp(join(tmpdir(), 'verdict-registry-svc-'));
    await writeFile(join(dir, 'policy.yaml'), POLICY);
    const tls = pki.server('alpha');
    const config = readConfig({
      VERDICT_GRPC_PORT: '0',
      VERDICT_OPS_PORT: '0',
      VERDICT_TLS_CA_FILE: tls.caFile,
      VERDICT_TLS_CERT_FILE: tls.certFile,
      VERDICT_TLS_KEY_FILE: tls.keyFile,
      VERDICT_DATA_DIR: dir,
      VERDICT_POLICY_FILE: join(dir, 'policy.yaml'),
      VERDICT_LOG_LEVEL: 'silent',
      VERDICT_REGISTRY_CHUNK_BYTES: '4096',
    });
    service = await runService({
      name: 'registry',
      config,
      permissions: REGISTRY_PERMISSIONS,
      setup: setupRegistry,
    });
    client = createClient(registryV1.RegistryService, {
      address: `127.0.0.1:${service.grpcPort}`,
      transport: pki.client('tester'),
    });
  });

  afterAll(async () => {
    client?.close();
    await service?.stop();
    await pki.remove();
    await rm(dir, { recursive: true, force: true });
  }, 20_000);

  it('uploads in chunks, aliases and downloads the same bytes, resuming from an offset', async () => {
    const bytes = buildMlp({ inputSize: 16, hiddenSizes: [256], outputSize: 2, seed: 7 });
    const sha256 = createHash('sha256').update(bytes).digest('hex');
    await client.createModel({ name: 'spam', team: 'team-a' });
    function* requests(): Generator<registryV1.UploadVersionRequest | object> {
      yield {
        content: {
          case: 'header',
          value: { model: 'spam', sha256, sizeBytes: BigInt(bytes.length) },
        },
      };
      for (let i = 0; i < bytes.length; i += 3000)
        yield { content: { case: 'chunk', value: bytes.subarray(i, i + 3000) } };
    }
    const uploaded = await client.uploadVersion(requests() as Iterable<never>);
    expect(uploaded.created).toBe(true);
    await client.setAlias({ model: 'spam', alias: 'production', version: 1n });
    const parts: Buffer[] = [];
    let header: registryV1.DownloadHeader | undefined;
    for await (const message of client.downloadVersion({
      model: 'spam',
      selector: { case: 'alias', value: 'production' },
      offset: 10_000n,
    })) {
      if (message.content.case === 'header') header = message.content.value;
      else if (message.content.case === 'chunk') parts.push(Buffer.from(message.content.value));
    }
    expect(header).toMatchObject({ sha256, sizeBytes: BigInt(bytes.length), offset: 10_000n });
    expect(Buffer.concat(parts).equals(Buffer.from(bytes.subarray(10_000)))).toBe(true);
    await expect(client.getModel({ name: 'nope' })).rejects.toMatchObject({
      code: status.NOT_FOUND,
    });
  });
});
