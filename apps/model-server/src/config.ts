import { loadServiceConfig, serviceConfigSchema } from '@verdict/config';
import type { z } from 'zod';

/** Settings of the model-server; environment variables `VERDICT_*`, optional YAML file `VERDICT_CONFIG_FILE`. */
export const configSchema = serviceConfigSchema({
  grpcPort: 50052,
  opsPort: 9102,
  dataDir: '.verdict/data/model-server',
});

export type Config = z.output<typeof configSchema>;

/** The one place this service reads the environment. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  return loadServiceConfig(configSchema, env);
}
