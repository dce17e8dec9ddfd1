import { z } from 'zod';

/** Per-service defaults of {@link serviceConfigSchema}. */
export interface ServiceConfigDefaults {
  /** Default gRPC port of the service (router 50051, model-server 50052, ...). */
  grpcPort: number;
  /** Default port of the plain-HTTP ops endpoint (9101..9105). */
  opsPort: number;
  /**
   * Default data directory, conventionally `.verdict/data/<service>`.
   * @default undefined (the setting is then required)
   */
  dataDir?: string;
}

/** Default largest gRPC message, both directions: 64 MiB, room for batched tensors. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

/** Default time a stopping service gives in-flight calls before it closes them. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

/** Default SPIFFE trust domain of the dev PKI. */
export const DEFAULT_TRUST_DOMAIN = 'verdict.local';

/** The address services bind to unless told otherwise: local only, never by accident public. */
export const DEFAULT_HOST = '127.0.0.1';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// SPIFFE trust domain names: lower-case letters, digits, dots, dashes and underscores.
const TRUST_DOMAIN = /^[a-z0-9._-]+$/;

const port = () => z.int().min(0).max(65535);
const host = () => z.string().min(1).default(DEFAULT_HOST);

const TLS_FILES = {
  caFile: 'the CA certificate (PEM) that peer certificates chain to',
  certFile: "this service's certificate chain (PEM)",
  keyFile: "this service's private key (PEM)",
} as const;

const tlsSchema = z
  .object({
    mode: z
      .enum(['mtls', 'mesh'])
      .default('mtls')
      .describe(
        'mtls: the service terminates mutual TLS itself; mesh: a sidecar does and the ' +
          'service listens in plaintext inside the pod',
      ),
    caFile: z.string().min(1).optional().describe(`Path of ${TLS_FILES.caFile}`),
    certFile: z.string().min(1).optional().describe(`Path of ${TLS_FILES.certFile}`),
    keyFile: z.string().min(1).optional().describe(`Path of ${TLS_FILES.keyFile}`),
  })
  .prefault({})
  .superRefine((tls, context) => {
    if (tls.mode !== 'mtls') {
      return;
    }
    for (const [field, what] of Object.entries(TLS_FILES)) {
      if (tls[field as keyof typeof TLS_FILES] === undefined) {
        context.addIssue({
          code: 'custom',
          path: [field],
          message: `a path to ${what}, required when tls.mode is mtls`,
        });
      }
    }
  });

const storeSchema = z
  .object({
    backend: z
      .enum(['memory', 'redis'])
      .default('memory')
      .describe('memory: embedded memory+file store (one replica); redis: shared, many replicas'),
    redisUrl: z
      .url({ protocol: /^rediss?$/ })
      .optional()
      .describe('redis:// or rediss:// URL of the Redis server'),
  })
  .prefault({})
  .superRefine((store, context) => {
    if (store.backend === 'redis' && store.redisUrl === undefined) {
      context.addIssue({
        code: 'custom',
        path: ['redisUrl'],
        message: 'a redis:// or rediss:// URL, required when store.backend is redis',
      });
    }
  });

/**
 * The settings every Verdict service shares, as a zod object that a service `.extend()`s
 * with its own. Refinements sit on the nested `tls` and `store` objects only, because zod
 * refuses to extend an object that carries its own refinements.
 */
export function serviceConfigSchema(defaults: ServiceConfigDefaults) {
  const dataDir = z.string().min(1);
  return z.object({
    grpc: z
      .object({
        host: host().describe('Interface the gRPC server binds to'),
        port: port().default(defaults.grpcPort).describe('gRPC port; 0 picks a free one'),
        maxMessageBytes: z
          .int()
          .positive()
          .default(DEFAULT_MAX_MESSAGE_BYTES)
          .describe('Largest gRPC message sent or received, in bytes'),
      })
      .prefault({}),
    ops: z
      .object({
        host: host().describe('Interface of the plain-HTTP /metrics, /healthz, /readyz server'),
        port: port().default(defaults.opsPort).describe('Port of the ops HTTP server'),
      })
      .prefault({}),
    tls: tlsSchema,
    trustDomain: z
      .string()
      .regex(TRUST_DOMAIN)
      .default(DEFAULT_TRUST_DOMAIN)
      .describe('SPIFFE trust domain of the peers this service accepts'),
    policyFile: z
      .string()
      .min(1)
      .optional()
      .describe('Path of the RBAC policy (YAML); without it only built-in rules apply'),
    dataDir: (defaults.dataDir === undefined
      ? dataDir
      : dataDir.default(defaults.dataDir)
    ).describe("Directory for this service's stored state"),
    log: z
      .object({
        level: z.enum(LOG_LEVELS).default('info').describe('Lowest log level written'),
      })
      .prefault({}),
    otlpEndpoint: z
      .url({ protocol: /^https?$/ })
      .optional()
      .describe('Base URL of an OTLP/HTTP collector; traces are exported when set'),
    shutdownGraceMs: z
      .int()
      .min(0)
      .default(DEFAULT_SHUTDOWN_GRACE_MS)
      .describe('Milliseconds in-flight calls may take after shutdown starts'),
    store: storeSchema,
  });
}

/** The parsed settings every service shares. */
export type ServiceConfig = z.output<ReturnType<typeof serviceConfigSchema>>;
