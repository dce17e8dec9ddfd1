/**
 * Typed service configuration: a zod schema, filled from schema defaults, an optional YAML
 * file and the environment (in that order of precedence), with errors that name the setting.
 */
export { loadConfig } from './load-config';
export type { LoadConfigOptions } from './load-config';
export { ConfigError, NOTHING_RECEIVED } from './config-error';
export type { ConfigIssue, ConfigSource } from './config-error';
export { envName, listSettings } from './settings';
export type { Setting, SettingKind } from './settings';
export { LIST_SEPARATOR } from './coerce';
export {
  serviceConfigSchema,
  DEFAULT_HOST,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_SHUTDOWN_GRACE_MS,
  DEFAULT_TRUST_DOMAIN,
} from './service-config';
export type { ServiceConfig, ServiceConfigDefaults } from './service-config';
export { loadServiceConfig, SERVICE_ENV_PREFIX } from './service-env';
