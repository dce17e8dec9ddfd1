import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './config-error';
import { serviceConfigSchema } from './service-config';
import { loadServiceConfig } from './service-env';

const schema = serviceConfigSchema({
  grpcPort: 50055,
  opsPort: 9105,
  dataDir: '.verdict/data/audit',
});
const mesh = { VERDICT_TLS_MODE: 'mesh' };

describe('loadServiceConfig', () => {
  it('takes OTEL_EXPORTER_OTLP_ENDPOINT when VERDICT_OTLP_ENDPOINT is not set', () => {
    expect(
      loadServiceConfig(schema, { ...mesh, OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' })
        .otlpEndpoint,
    ).toBe('http://collector:4318');
    expect(
      loadServiceConfig(schema, {
        ...mesh,
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
        VERDICT_OTLP_ENDPOINT: 'http://other:4318',
      }).otlpEndpoint,
    ).toBe('http://other:4318');
    expect(loadServiceConfig(schema, mesh).otlpEndpoint).toBeUndefined();
  });

  it('reads the YAML file named by VERDICT_CONFIG_FILE, under the environment', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'verdict-config-'));
    const file = join(dir, 'audit.yaml');
    await writeFile(file, 'grpc:\n  port: 6000\nops:\n  port: 6001\n');
    try {
      const config = loadServiceConfig(schema, {
        ...mesh,
        VERDICT_CONFIG_FILE: file,
        VERDICT_OPS_PORT: '7001',
      });
      expect([config.grpc.port, config.ops.port]).toEqual([6000, 7001]);
    } finally {
      await rm(dir, { recursive: true });
    }
  });

  it('names the variable of a bad value', () => {
    expect(() => loadServiceConfig(schema, { ...mesh, VERDICT_SHUTDOWN_GRACE_MS: '-1' })).toThrow(
      ConfigError,
    );
    expect(() => loadServiceConfig(schema, { ...mesh, VERDICT_SHUTDOWN_GRACE_MS: '-1' })).toThrow(
      /VERDICT_SHUTDOWN_GRACE_MS/,
    );
  });
});
