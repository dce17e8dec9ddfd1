import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  ConfigError,
  DEFAULT_MAX_MESSAGE_BYTES,
  listSettings,
  loadConfig,
  serviceConfigSchema,
} from './index';

const PREFIX = 'VERDICT_';
const TLS_ENV = {
  VERDICT_TLS_CA_FILE: '.verdict/pki/ca.crt',
  VERDICT_TLS_CERT_FILE: '.verdict/pki/registry.crt',
  VERDICT_TLS_KEY_FILE: '.verdict/pki/registry.key',
};

const schema = serviceConfigSchema({
  grpcPort: 50053,
  opsPort: 9103,
  dataDir: '.verdict/data/registry',
});

function failure(run: () => unknown): ConfigError {
  try {
    run();
  } catch (error) {
    if (error instanceof ConfigError) {
      return error;
    }
    throw error;
  }
  throw new Error('expected a ConfigError, but the configuration loaded');
}

describe('serviceConfigSchema', () => {
  it('fills every shared setting from its defaults once the TLS files are given', () => {
    expect(loadConfig({ schema, env: TLS_ENV, prefix: PREFIX })).toEqual({
      grpc: { host: '127.0.0.1', port: 50053, maxMessageBytes: 64 * 1024 * 1024 },
      ops: { host: '127.0.0.1', port: 9103 },
      tls: {
        mode: 'mtls',
        caFile: '.verdict/pki/ca.crt',
        certFile: '.verdict/pki/registry.crt',
        keyFile: '.verdict/pki/registry.key',
      },
      trustDomain: 'verdict.local',
      dataDir: '.verdict/data/registry',
      log: { level: 'info' },
      shutdownGraceMs: 10000,
      store: { backend: 'memory' },
    });
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(67108864);
  });

  it('requires the three TLS files in mtls mode, naming each variable', () => {
    const error = failure(() =>
      loadConfig({ schema, env: { VERDICT_TLS_CA_FILE: 'ca.crt' }, prefix: PREFIX }),
    );
    expect(error.message).toBe(
      'invalid configuration, 2 settings to fix:\n' +
        "  VERDICT_TLS_CERT_FILE (not set): expected a path to this service's certificate chain " +
        '(PEM), required when tls.mode is mtls, got nothing\n' +
        "  VERDICT_TLS_KEY_FILE (not set): expected a path to this service's private key (PEM), " +
        'required when tls.mode is mtls, got nothing',
    );
  });

  it('needs no TLS files in mesh mode', () => {
    const config = loadConfig({ schema, env: { VERDICT_TLS_MODE: 'mesh' }, prefix: PREFIX });
    expect(config.tls).toEqual({ mode: 'mesh' });
  });

  it('requires a Redis URL for the redis backend, and only a redis:// one', () => {
    const env = { ...TLS_ENV, VERDICT_STORE_BACKEND: 'redis' };
    expect(failure(() => loadConfig({ schema, env, prefix: PREFIX })).issues).toEqual([
      {
        setting: 'VERDICT_STORE_REDIS_URL',
        source: 'default',
        expected: 'a redis:// or rediss:// URL, required when store.backend is redis',
        received: 'nothing',
      },
    ]);
    expect(
      failure(() =>
        loadConfig({
          schema,
          env: { ...env, VERDICT_STORE_REDIS_URL: 'http://cache:6379' },
          prefix: PREFIX,
        }),
      ).message,
    ).toContain(
      'VERDICT_STORE_REDIS_URL (env): expected a URL with a scheme matching /^rediss?$/, ' +
        'got "http://cache:6379"',
    );
    const config = loadConfig({
      schema,
      env: { ...env, VERDICT_STORE_REDIS_URL: 'redis://cache:6379/0' },
      prefix: PREFIX,
    });
    expect(config.store).toEqual({ backend: 'redis', redisUrl: 'redis://cache:6379/0' });
  });

  it('checks the trust domain, log level, OTLP URL and grace period', () => {
    const error = failure(() =>
      loadConfig({
        schema,
        env: {
          ...TLS_ENV,
          VERDICT_TRUST_DOMAIN: 'Verdict Local',
          VERDICT_LOG_LEVEL: 'verbose',
          VERDICT_OTLP_ENDPOINT: 'localhost:4318',
          VERDICT_SHUTDOWN_GRACE_MS: '-5',
        },
        prefix: PREFIX,
      }),
    );
    expect(error.message.split('\n').slice(1)).toEqual([
      '  VERDICT_TRUST_DOMAIN (env): expected a string matching /^[a-z0-9._-]+$/, got "Verdict Local"',
      '  VERDICT_LOG_LEVEL (env): expected one of fatal, error, warn, info, debug, trace, silent, got "verbose"',
      '  VERDICT_OTLP_ENDPOINT (env): expected a URL with a scheme matching /^https?$/, got "localhost:4318"',
      '  VERDICT_SHUTDOWN_GRACE_MS (env): expected integer >= 0, got "-5"',
    ]);
  });

  it('requires the data directory when the service gives no default', () => {
    const withoutDataDir = serviceConfigSchema({ grpcPort: 50055, opsPort: 9105 });
    const error = failure(() =>
      loadConfig({ schema: withoutDataDir, env: TLS_ENV, prefix: PREFIX }),
    );
    expect(error.issues).toEqual([
      {
        setting: 'VERDICT_DATA_DIR',
        source: 'default',
        expected: "a non-empty string (Directory for this service's stored state)",
        received: 'nothing',
      },
    ]);
  });

  it('is extended by a service with its own settings, read the same way', () => {
    const registrySchema = serviceConfigSchema({
      grpcPort: 50053,
      opsPort: 9103,
      dataDir: '.verdict/data/registry',
    }).extend({
      blobs: z
        .object({
          maxBlobBytes: z
            .int()
            .positive()
            .default(1 << 30)
            .describe('Largest artifact'),
        })
        .prefault({}),
    });
    const dir = mkdtempSync(join(tmpdir(), 'verdict-service-config-'));
    try {
      const file = join(dir, 'registry.yaml');
      writeFileSync(file, 'blobs:\n  maxBlobBytes: 1024\ngrpc:\n  port: 6000\n');
      const config = loadConfig({
        schema: registrySchema,
        env: { ...TLS_ENV, VERDICT_GRPC_PORT: '7000' },
        prefix: PREFIX,
        file,
      });
      expect(config.blobs.maxBlobBytes).toBe(1024);
      expect(config.grpc.port).toBe(7000);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('describes every setting, for docs and --help', () => {
    const settings = listSettings(schema, PREFIX);
    expect(settings.map((s) => s.env)).toEqual([
      'VERDICT_GRPC_HOST',
      'VERDICT_GRPC_PORT',
      'VERDICT_GRPC_MAX_MESSAGE_BYTES',
      'VERDICT_OPS_HOST',
      'VERDICT_OPS_PORT',
      'VERDICT_TLS_MODE',
      'VERDICT_TLS_CA_FILE',
      'VERDICT_TLS_CERT_FILE',
      'VERDICT_TLS_KEY_FILE',
      'VERDICT_TRUST_DOMAIN',
      'VERDICT_POLICY_FILE',
      'VERDICT_DATA_DIR',
      'VERDICT_LOG_LEVEL',
      'VERDICT_OTLP_ENDPOINT',
      'VERDICT_SHUTDOWN_GRACE_MS',
      'VERDICT_STORE_BACKEND',
      'VERDICT_STORE_REDIS_URL',
    ]);
    for (const setting of settings) {
      expect(setting.description).toEqual(expect.any(String));
    }
    expect(settings.find((s) => s.key === 'grpc.port')).toMatchObject({
      expected: 'integer 0..65535',
      defaultValue: 50053,
      optional: true,
    });
  });
});
