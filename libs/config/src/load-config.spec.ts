import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError, loadConfig } from './index';

const schema = z.object({
  grpc: z
    .object({
      host: z.string().default('127.0.0.1'),
      port: z.int().min(0).max(65535).default(50051),
    })
    .prefault({}),
  tls: z
    .object({
      certFile: z.string().optional(),
      mode: z.enum(['mtls', 'mesh']).default('mtls'),
    })
    .prefault({}),
  verbose: z.boolean().default(false),
  ratio: z.number().gt(0).lt(1).default(0.5),
  tags: z.array(z.string()).default([]),
  ports: z.array(z.int().min(1).max(65535)).default([]),
  otlpEndpoint: z.url().optional(),
  shutdownGraceMs: z.int().min(0).default(10000),
});

const PREFIX = 'VERDICT_';

function load(env: Record<string, string | undefined>, file?: string) {
  return loadConfig({ schema, env, prefix: PREFIX, ...(file === undefined ? {} : { file }) });
}

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

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'verdict-config-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function yamlFile(text: string): string {
    const file = join(dir, 'service.yaml');
    writeFileSync(file, text);
    return file;
  }

  describe('precedence', () => {
    it('uses the schema defaults when nothing is set', () => {
      expect(load({})).toEqual({
        grpc: { host: '127.0.0.1', port: 50051 },
        tls: { mode: 'mtls' },
        verbose: false,
        ratio: 0.5,
        tags: [],
        ports: [],
        shutdownGraceMs: 10000,
      });
    });

    it('lets the file override defaults and the environment override the file', () => {
      const file = yamlFile(
        ['grpc:', '  host: 0.0.0.0', '  port: 6000', 'tls:', '  mode: mesh', 'verbose: true'].join(
          '\n',
        ),
      );

      const config = load({ VERDICT_GRPC_PORT: '7000' }, file);

      expect(config.grpc).toEqual({ host: '0.0.0.0', port: 7000 });
      expect(config.tls.mode).toBe('mesh');
      expect(config.verbose).toBe(true);
      expect(config.shutdownGraceMs).toBe(10000);
    });

    it('treats an empty environment variable and an empty YAML value as unset', () => {
      const file = yamlFile('grpc:\n  port:\nverbose: true\n');
      const config = load({ VERDICT_VERBOSE: '', VERDICT_OTLP_ENDPOINT: '  ' }, file);
      expect(config.grpc.port).toBe(50051);
      expect(config.verbose).toBe(true);
      expect(config.otlpEndpoint).toBeUndefined();
    });

    it('accepts an empty file', () => {
      expect(load({}, yamlFile('')).grpc.port).toBe(50051);
    });
  });

  describe('environment', () => {
    it('derives names from the schema path: nesting joined by _, camelCase as SNAKE_CASE', () => {
      const config = load({
        VERDICT_GRPC_HOST: '::1',
        VERDICT_TLS_CERT_FILE: '/etc/verdict/tls.crt',
        VERDICT_OTLP_ENDPOINT: 'http://collector:4318',
        VERDICT_SHUTDOWN_GRACE_MS: '2500',
      });
      expect(config.grpc.host).toBe('::1');
      expect(config.tls.certFile).toBe('/etc/verdict/tls.crt');
      expect(config.otlpEndpoint).toBe('http://collector:4318');
      expect(config.shutdownGraceMs).toBe(2500);
    });

    it('reads numbers, booleans, enums and comma-separated lists', () => {
      const config = load({
        VERDICT_GRPC_PORT: ' 8080 ',
        VERDICT_RATIO: '0.25',
        VERDICT_VERBOSE: 'TRUE',
        VERDICT_TLS_MODE: 'mesh',
        VERDICT_TAGS: 'a, b ,,c',
        VERDICT_PORTS: '80,443',
      });
      expect(config.grpc.port).toBe(8080);
      expect(config.ratio).toBe(0.25);
      expect(config.verbose).toBe(true);
      expect(config.tls.mode).toBe('mesh');
      expect(config.tags).toEqual(['a', 'b', 'c']);
      expect(config.ports).toEqual([80, 443]);
    });

    it.each([
      ['true', true],
      ['1', true],
      ['false', false],
      ['0', false],
      ['False', false],
    ])('reads boolean %j as %j', (raw, value) => {
      expect(load({ VERDICT_VERBOSE: raw }).verbose).toBe(value);
    });

    it('ignores variables with the prefix that name no setting, and other variables', () => {
      const config = load({ VERDICT_GRPC_PROT: 'abc', VERDICT_UNKNOWN: 'x', PATH: '/usr/bin' });
      expect(config.grpc.port).toBe(50051);
    });
  });

  describe('errors', () => {
    it('names the variable, the expectation and the value for a non-integer', () => {
      const error = failure(() => load({ VERDICT_GRPC_PORT: 'abc' }));
      expect(error.message).toBe(
        'invalid configuration, 1 setting to fix:\n' +
          '  VERDICT_GRPC_PORT (env): expected integer 0..65535, got "abc"',
      );
      expect(error.issues).toEqual([
        {
          setting: 'VERDICT_GRPC_PORT',
          source: 'env',
          expected: 'integer 0..65535',
          received: '"abc"',
        },
      ]);
      expect(error.name).toBe('ConfigError');
      expect(error).toBeInstanceOf(Error);
    });

    it.each([
      ['70000', 'out of range'],
      ['-1', 'negative'],
      ['80.5', 'fractional'],
      ['0x50', 'hexadecimal'],
    ])('rejects port %j (%s)', (raw) => {
      expect(failure(() => load({ VERDICT_GRPC_PORT: raw })).issues).toEqual([
        {
          setting: 'VERDICT_GRPC_PORT',
          source: 'env',
          expected: 'integer 0..65535',
          received: JSON.stringify(raw),
        },
      ]);
    });

    it('rejects a bad enum, boolean, exclusive range, URL and list item', () => {
      const error = failure(() =>
        load({
          VERDICT_TLS_MODE: 'tls',
          VERDICT_VERBOSE: 'yes',
          VERDICT_RATIO: '1',
          VERDICT_OTLP_ENDPOINT: 'not a url',
          VERDICT_PORTS: '80,http',
        }),
      );
      expect(error.message.split('\n')).toEqual([
        'invalid configuration, 5 settings to fix:',
        '  VERDICT_VERBOSE (env): expected true, false, 1 or 0, got "yes"',
        '  VERDICT_PORTS (env): expected a comma-separated list of integer 1..65535, got "80,http"',
        '  VERDICT_TLS_MODE (env): expected one of mtls, mesh, got "tls"',
        '  VERDICT_RATIO (env): expected number > 0 and < 1, got "1"',
        '  VERDICT_OTLP_ENDPOINT (env): expected a URL, got "not a url"',
      ]);
    });

    it('names the dotted key and the file for a wrong value in the file', () => {
      const file = yamlFile('grpc:\n  port: 99999\ntls:\n  mode: 5\n');
      const error = failure(() => load({}, file));
      expect(error.message.split('\n')).toEqual([
        'invalid configuration, 2 settings to fix:',
        `  grpc.port (file ${file}): expected integer 0..65535, got 99999`,
        `  tls.mode (file ${file}): expected one of mtls, mesh, got 5`,
      ]);
      expect(error.issues.map((issue) => issue.source)).toEqual(['file', 'file']);
      expect(error.file).toBe(file);
    });

    it('does not read YAML strings as numbers: the file is typed', () => {
      const file = yamlFile('grpc:\n  port: "8080"\n');
      expect(failure(() => load({}, file)).issues).toEqual([
        { setting: 'grpc.port', source: 'file', expected: 'integer 0..65535', received: '"8080"' },
      ]);
    });

    it('reports every unknown key of the file, with the keys that exist', () => {
      const file = yamlFile('grpc:\n  prot: 8080\nverbos: true\n');
      const error = failure(() => load({}, file));
      expect(error.message.split('\n')).toEqual([
        'invalid configuration, 2 settings to fix:',
        `  grpc.prot (file ${file}): expected a key of grpc (host, port), got unknown key "prot"`,
        `  verbos (file ${file}): expected a top-level key (grpc, tls, verbose, ratio, tags, ` +
          `ports, otlpEndpoint, shutdownGraceMs), got unknown key "verbos"`,
      ]);
    });

    it('reports a section that is not a mapping', () => {
      const file = yamlFile('grpc: 8080\n');
      expect(failure(() => load({}, file)).issues).toEqual([
        {
          setting: 'grpc',
          source: 'file',
          expected: 'a mapping with the keys host, port',
          received: '8080',
        },
      ]);
    });

    it('reports malformed YAML with its position', () => {
      const file = yamlFile('grpc:\n  port: 1\n   host: x\n');
      const error = failure(() => load({}, file));
      expect(error.message).toBe(
        'invalid configuration, 1 setting to fix:\n' +
          `  ${file}: expected valid YAML, got Nested mappings are not allowed in compact ` +
          'mappings at line 2, column 9:',
      );
    });

    it('reports a file that cannot be read, and the environment issues with it', () => {
      const missing = join(dir, 'missing.yaml');
      const error = failure(() => load({ VERDICT_GRPC_PORT: 'x' }, missing));
      expect(error.issues).toEqual([
        {
          setting: missing,
          source: 'file',
          expected: 'a readable YAML file',
          received: `ENOENT: no such file or directory, open '${missing}'`,
        },
        {
          setting: 'VERDICT_GRPC_PORT',
          source: 'env',
          expected: 'integer 0..65535',
          received: '"x"',
        },
      ]);
    });

    it('names the environment variable of a required setting nobody set', () => {
      const required = z.object({
        dataDir: z.string().min(1).describe('where state is kept'),
      });
      const error = failure(() => loadConfig({ schema: required, env: {}, prefix: PREFIX }));
      expect(error.message).toBe(
        'invalid configuration, 1 setting to fix:\n' +
          '  VERDICT_DATA_DIR (not set): expected a non-empty string (where state is kept), got nothing',
      );
      expect(error.issues[0]?.source).toBe('default');
    });

    it('reports a parsed schema default (prefault) that its own checks reject', () => {
      const broken = z.object({ workers: z.int().min(1).prefault(0) });
      expect(failure(() => loadConfig({ schema: broken, env: {}, prefix: PREFIX })).issues).toEqual(
        [
          {
            setting: 'VERDICT_WORKERS',
            source: 'default',
            expected: 'integer >= 1',
            received: '0',
          },
        ],
      );
    });

    it('refuses a schema whose settings collide on one variable name', () => {
      const colliding = z.object({ tlsCert: z.string(), tls: z.object({ cert: z.string() }) });
      expect(() => loadConfig({ schema: colliding, env: {}, prefix: PREFIX })).toThrow(
        'settings tlsCert and tls.cert both map to VERDICT_TLS_CERT',
      );
    });
  });
});
