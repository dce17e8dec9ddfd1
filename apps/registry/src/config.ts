import { auditConfigSchema } from '@verdict/audit-client';
import { loadServiceConfig, serviceConfigSchema } from '@verdict/config';
import { z } from 'zod';

const registrySchema = z
  .object({
    keyFile: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Key-encryption keys, JSON {"activeKeyId": id, "keys": {id: base64 of 32 bytes}}; created with one random key when missing; default <dataDir>/keys.json',
      ),
    keys: z
      .string()
      .min(1)
      .optional()
      .describe(
        'Key-encryption keys inline, id=base64[,id=base64...]; takes precedence over keyFile',
      ),
    activeKeyId: z
      .string()
      .min(1)
      .optional()
      .describe(
        "Key id that wraps new data keys; default the key file's activeKeyId or the last inline key",
      ),
    chunkBytes: z
      .int()
      .min(4096)
      .max(16 * 1024 * 1024)
      .default(1024 * 1024)
      .describe('Plaintext bytes per encrypted chunk of a stored artifact'),
    protectedAliases: z
      .array(z.string())
      .default(['production'])
      .describe('Aliases whose moves also need model:deploy:production'),
  })
  .prefault({});

/** Settings of the registry; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50053,
  opsPort: 9103,
  dataDir: '.verdict/data/registry',
}).extend({ registry: registrySchema, audit: auditConfigSchema.prefault({}) });

export type Config = z.output<typeof configSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(configSchema, env);
}
