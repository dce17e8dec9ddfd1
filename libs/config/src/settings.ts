import type { z } from 'zod';

/** How an environment string becomes a value of the setting's type. */
export type SettingKind =
  | { readonly type: 'string' }
  | { readonly type: 'number'; readonly integer: boolean }
  | { readonly type: 'boolean' }
  | { readonly type: 'enum'; readonly values: readonly string[] }
  | { readonly type: 'list'; readonly element: Exclude<SettingKind, { type: 'list' }> }
  /** A type without an environment form (unions, records...): the string goes to zod as-is. */
  | { readonly type: 'other' };

/** One leaf of a config schema, as {@link listSettings} reports it. */
export interface Setting {
  /** Dotted key, as written in the YAML file: `grpc.port`. */
  readonly key: string;
  /** The key's parts: `['grpc', 'port']`. */
  readonly path: readonly string[];
  /** Environment variable: `VERDICT_GRPC_PORT`. */
  readonly env: string;
  readonly kind: SettingKind;
  /** What a valid value looks like, for messages: `integer 0..65535`. */
  readonly expected: string;
  /** The schema's `.describe()` text, if any. */
  readonly description: string | undefined;
  /** True when the setting may stay unset (it is optional or has a default). */
  readonly optional: boolean;
  /** The schema default, if there is one. */
  readonly defaultValue?: unknown;
}

/** A nested object of a config schema, used to check the YAML file's shape. */
export interface SettingGroup {
  readonly key: string;
  readonly path: readonly string[];
  /** The keys the object accepts. */
  readonly keys: readonly string[];
  /** False when the group may be left out entirely. */
  readonly required: boolean;
}

/** Everything {@link walkSchema} learns from a schema. */
export interface SchemaMap {
  readonly settings: readonly Setting[];
  /** Groups by dotted key; the root object has key `''`. */
  readonly groups: ReadonlyMap<string, SettingGroup>;
}

interface Unwrapped {
  readonly schema: z.ZodType;
  readonly optional: boolean;
  readonly hasDefault: boolean;
  readonly defaultValue: unknown;
  readonly description: string | undefined;
}

interface CheckDef {
  check?: string;
  value?: unknown;
  inclusive?: boolean;
  minimum?: number;
  format?: string;
  pattern?: RegExp;
}

/**
 * Turns a schema path into its environment variable: camelCase parts become
 * SCREAMING_SNAKE and are joined by `_` after the prefix (`['tls', 'certFile']` with
 * `VERDICT_` gives `VERDICT_TLS_CERT_FILE`).
 */
export function envName(prefix: string, path: readonly string[]): string {
  const parts = path.map((part) =>
    part
      .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
      .replace(/([A-Z]+)([A-Z][a-z])/g, '$1_$2')
      .replace(/[^A-Za-z0-9]+/g, '_')
      .toUpperCase(),
  );
  return prefix + parts.join('_');
}

/**
 * Lists the settings of an object schema with their keys, environment variables, expected
 * values, descriptions and defaults: the material for `--help` output and docs.
 */
export function listSettings(schema: z.ZodType, prefix: string): readonly Setting[] {
  return walkSchema(schema, prefix).settings;
}

/**
 * Walks an object schema down to its leaves. Throws a TypeError when the schema is not an
 * object or when two settings would share one environment variable: both are mistakes in
 * the code, not in the configuration.
 */
export function walkSchema(schema: z.ZodType, prefix: string): SchemaMap {
  const settings: Setting[] = [];
  const groups = new Map<string, SettingGroup>();
  const root = unwrap(schema);
  if (root.schema._zod.def.type !== 'object') {
    throw new TypeError(`a config schema must be a zod object, not ${root.schema._zod.def.type}`);
  }
  visitObject(root.schema as z.ZodObject, [], true, prefix, settings, groups);

  const byEnv = new Map<string, string>();
  for (const setting of settings) {
    const other = byEnv.get(setting.env);
    if (other !== undefined) {
      throw new TypeError(`settings ${other} and ${setting.key} both map to ${setting.env}`);
    }
    byEnv.set(setting.env, setting.key);
  }
  return { settings, groups };
}

function visitObject(
  object: z.ZodObject,
  path: string[],
  required: boolean,
  prefix: string,
  settings: Setting[],
  groups: Map<string, SettingGroup>,
): void {
  const shape = object.shape as Record<string, z.ZodType>;
  groups.set(path.join('.'), { key: path.join('.'), path, keys: Object.keys(shape), required });
  for (const [name, field] of Object.entries(shape)) {
    const childPath = [...path, name];
    const inner = unwrap(field);
    if (inner.schema._zod.def.type === 'object') {
      visitObject(
        inner.schema as z.ZodObject,
        childPath,
        required && !inner.optional,
        prefix,
        settings,
        groups,
      );
      continue;
    }
    const kind = kindOf(inner.schema);
    settings.push({
      key: childPath.join('.'),
      path: childPath,
      env: envName(prefix, childPath),
      kind,
      expected: expectationOf(inner.schema, kind),
      description: inner.description,
      optional: inner.optional || inner.hasDefault,
      ...(inner.hasDefault ? { defaultValue: inner.defaultValue } : {}),
    });
  }
}

// Wrappers change whether a value may be absent, never what a present value looks like.
function unwrap(schema: z.ZodType): Unwrapped {
  let current = schema;
  let optional = false;
  let hasDefault = false;
  let defaultValue: unknown;
  let description = schema.description;
  for (;;) {
    const def = current._zod.def as { type: string; innerType?: z.ZodType; in?: z.ZodType };
    if (def.type === 'optional' || def.type === 'nullable') {
      optional = true;
    } else if (def.type === 'default' || def.type === 'prefault') {
      if (!hasDefault) {
        hasDefault = true;
        defaultValue = (def as { defaultValue?: unknown }).defaultValue;
      }
    } else if (!['readonly', 'catch', 'nonoptional', 'pipe'].includes(def.type)) {
      break;
    }
    const next = def.type === 'pipe' ? def.in : def.innerType;
    if (!next) {
      break;
    }
    current = next;
    description ??= current.description;
  }
  return { schema: current, optional, hasDefault, defaultValue, description };
}

function kindOf(schema: z.ZodType): SettingKind {
  switch (schema._zod.def.type) {
    case 'string':
      return { type: 'string' };
    case 'number':
      return { type: 'number', integer: (schema as z.ZodNumber).isInt };
    case 'boolean':
      return { type: 'boolean' };
    case 'enum':
      return { type: 'enum', values: (schema as z.ZodEnum).options.map(String) };
    case 'array': {
      const element = kindOf(unwrap((schema as z.ZodArray<z.ZodType>).element).schema);
      return element.type === 'list' ? { type: 'other' } : { type: 'list', element };
    }
    default:
      return { type: 'other' };
  }
}

function expectationOf(schema: z.ZodType, kind: SettingKind): string {
  switch (kind.type) {
    case 'number':
      return `${kind.integer ? 'integer' : 'number'}${numberRange(checksOf(schema))}`;
    case 'boolean':
      return 'true or false';
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'list': {
      const element = unwrap((schema as z.ZodArray<z.ZodType>).element).schema;
      return kind.element.type === 'enum'
        ? `a list of ${kind.element.values.join(', ')}`
        : `a list of ${expectationOf(element, kind.element)}`;
    }
    case 'string':
      return stringExpectation(schema);
    case 'other':
      return `a ${schema._zod.def.type} value`;
  }
}

function checksOf(schema: z.ZodType): CheckDef[] {
  const checks = (schema._zod.def.checks ?? []) as unknown as { _zod: { def: CheckDef } }[];
  return checks.map((check) => check._zod.def);
}

function numberRange(checks: CheckDef[]): string {
  const low = checks.find((c) => c.check === 'greater_than');
  const high = checks.find((c) => c.check === 'less_than');
  if (low?.inclusive && high?.inclusive) {
    return ` ${String(low.value)}..${String(high.value)}`;
  }
  const bounds: string[] = [];
  if (low) {
    bounds.push(`${low.inclusive ? '>=' : '>'} ${String(low.value)}`);
  }
  if (high) {
    bounds.push(`${high.inclusive ? '<=' : '<'} ${String(high.value)}`);
  }
  return bounds.length > 0 ? ` ${bounds.join(' and ')}` : '';
}

function stringExpectation(schema: z.ZodType): string {
  const format = (schema as z.ZodString).format;
  if (format === 'url') {
    const protocol = (schema._zod.def as { protocol?: RegExp }).protocol;
    return protocol ? `a URL with a scheme matching ${String(protocol)}` : 'a URL';
  }
  const checks = checksOf(schema);
  const pattern = checks.find((c) => c.format === 'regex')?.pattern;
  if (pattern) {
    return `a string matching ${String(pattern)}`;
  }
  const minimum = checks.find((c) => c.check === 'min_length')?.minimum ?? 0;
  return minimum === 1 ? 'a non-empty string' : 'a string';
}
