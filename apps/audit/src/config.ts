import { loadServiceConfig, serviceConfigSchema } from '@verdict/config';
import { z } from 'zod';

const MIB = 1024 * 1024;

const auditSchema = z
  .object({
    origin: z
      .string()
      .regex(/^[^\s+]+$/)
      .default('verdict.local/audit')
      .describe("The log's identity: first line of every checkpoint and the signing key's name"),
    keyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Ed25519 checkpoint signing key (PKCS#8 PEM), created when missing; default <dataDir>/checkpoint.key',
      ),
    checkpointEveryRecords: z
      .int()
      .positive()
      .default(1000)
      .describe('Sign a checkpoint after this many new records'),
    checkpointIntervalMs: z
      .int()
      .positive()
      .default(1000)
      .describe('Sign a checkpoint at least this often while the log grows'),
    maxBatchRecords: z
      .int()
      .positive()
      .default(20_000)
      .describe('Most records written and fsynced as one group commit'),
    maxSegmentBytes: z
      .int()
      .positive()
      .default(64 * MIB)
      .describe('Size at which a new segment file starts'),
    defaultPageSize: z
      .int()
      .positive()
      .default(100)
      .describe('Query page size when the caller sets none'),
    maxPageSize: z.int().positive().default(1000).describe('Largest Query page'),
    maxQueryScan: z
      .int()
      .positive()
      .default(100_000)
      .describe('Most records one Query page examines'),
    exportBatchRecords: z.int().positive().default(1000).describe('Records per Export message'),
  })
  .prefault({});

/** Settings of the audit; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50055,
  opsPort: 9105,
  dataDir: '.verdict/data/audit',
}).extend({
  audit: auditSchema,
});

export type Config = z.output<typeof configSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(configSchema, env);
}
