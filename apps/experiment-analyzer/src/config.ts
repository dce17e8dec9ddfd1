import { auditConfigSchema } from '@verdict/audit-client';
import { loadServiceConfig, serviceConfigSchema } from '@verdict/config';
import { isEndpoint } from '@verdict/routing';
import { z } from 'zod';
import { driftSchema } from './drift/drift-config';

/** A pool of model servers, as `VERDICT_POOLS` lists them. */
export const poolSchema = z.object({
  name: z.string().regex(/^[a-z]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a DNS label'),
  region: z.string().min(1),
  endpoints: z
    .array(z.string().refine(isEndpoint, 'host:port with a port in 1..65535'))
    .min(1, 'at least one host:port endpoint'),
});

/** Pools when `VERDICT_POOLS` is unset: the dev stack's one local model server. */
export const DEFAULT_POOLS_JSON = JSON.stringify([
  { name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] },
]);

const poolListSchema = z
  .array(poolSchema)
  .min(1, 'at least one pool')
  .refine(
    (pools) => new Set(pools.map((pool) => pool.name)).size === pools.length,
    'unique pool names',
  );

const poolsSchema = z
  .string()
  .default(DEFAULT_POOLS_JSON)
  .describe(
    'Pools of model servers variants may name, JSON [{"name","region","endpoints":["host:port"]}]',
  )
  .transform((text, context) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      context.addIssue({
        code: 'custom',
        message: `JSON (${error instanceof Error ? error.message : String(error)})`,
      });
      return z.NEVER;
    }
    const parsed = poolListSchema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const at = issue.path.length === 0 ? '' : ` at [${issue.path.join('][')}]`;
    context.addIssue({ code: 'custom', message: `a pool list${at}: ${issue.message}` });
    return z.NEVER;
  });

const registrySchema = z
  .object({
    address: z
      .string()
      .min(1)
      .optional()
      .describe(
        'host:port of the model registry: promotions move aliases there and variant aliases resolve to versions; unset: no alias moves',
      ),
  })
  .prefault({});

const decisionSchema = z
  .object({
    tickMs: z
      .int()
      .positive()
      .default(5000)
      .describe(
        "How often running experiments are checked; each experiment's policy.interval still applies",
      ),
  })
  .prefault({});

const tablesSchema = z
  .object({
    refreshMs: z
      .int()
      .positive()
      .default(30_000)
      .describe(
        'How often the routing table is rebuilt to follow registry alias moves (and to finish a change a failure left half-done); only a table that routes differently is written',
      ),
  })
  .prefault({});

const dashboardSchema = z
  .object({
    port: z
      .int()
      .min(0)
      .max(65535)
      .default(8443)
      .describe(
        'Port of the read-only dashboard (HTTPS with the service certificate under mTLS); 0 picks a free one',
      ),
    host: z.string().min(1).default('127.0.0.1').describe('Address the dashboard listens on'),
    tokens: z
      .string()
      .default('')
      .describe(
        'Comma-separated bearer tokens that may open the dashboard besides client certificates of the CA',
      ),
    enabled: z
      .boolean()
      .default(false)
      .describe('Serve the dashboard (verdict dev turns it on at port 8443)'),
  })
  .prefault({});

/** Settings of the experiment-analyzer; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50054,
  opsPort: 9104,
  dataDir: '.verdict/data/experiment-analyzer',
}).extend({
  pools: poolsSchema,
  registry: registrySchema,
  audit: auditConfigSchema.prefault({}),
  decision: decisionSchema,
  tables: tablesSchema,
  drift: driftSchema,
  dashboard: dashboardSchema,
});

export type Config = z.output<typeof configSchema>;

/** A configured pool. */
export type PoolConfig = z.output<typeof poolSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(configSchema, env);
}
