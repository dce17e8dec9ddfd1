import type { z } from 'zod';
import { loadConfig } from './load-config';

/** Prefix of every Verdict service setting in the environment. */
export const SERVICE_ENV_PREFIX = 'VERDICT_';

/**
 * Loads a service's settings the way every Verdict service does: `VERDICT_*` variables over an
 * optional YAML file named by `VERDICT_CONFIG_FILE` over the schema's defaults. The standard
 * OpenTelemetry variable `OTEL_EXPORTER_OTLP_ENDPOINT` fills `otlpEndpoint` when
 * `VERDICT_OTLP_ENDPOINT` is not set, so collectors configured the usual way just work.
 */
export function loadServiceConfig<T extends z.ZodType>(
  schema: T,
  env: Readonly<Record<string, string | undefined>>,
): z.output<T> {
  const otel = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const effective =
    env.VERDICT_OTLP_ENDPOINT === undefined && otel !== undefined && otel !== ''
      ? { ...env, VERDICT_OTLP_ENDPOINT: otel }
      : env;
  return loadConfig({
    schema,
    env: effective,
    prefix: SERVICE_ENV_PREFIX,
    file: env.VERDICT_CONFIG_FILE,
  });
}
