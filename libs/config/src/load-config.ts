import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError, NOTHING_RECEIVED, type ConfigIssue } from './config-error';
import { coerceEnv, expectedFrom } from './coerce';
import { walkSchema, type SchemaMap, type Setting } from './settings';

/** Options of {@link loadConfig}. */
export interface LoadConfigOptions<T extends z.ZodType> {
  /** A zod object schema; nested objects become nested YAML keys and `_`-joined env names. */
  schema: T;
  /** The environment to read, normally `process.env` (passed in by the app's config module). */
  env: Readonly<Record<string, string | undefined>>;
  /** Prefix of every environment variable, e.g. `VERDICT_`. */
  prefix: string;
  /**
   * A YAML file whose keys mirror the schema; keys the schema does not know are an error.
   * @default undefined (no file: defaults and environment only)
   */
  file?: string;
}

type Provenance =
  | { readonly source: 'env'; readonly raw: string }
  | { readonly source: 'file'; readonly value: unknown };

type Tree = Record<string, unknown>;

/** Longest rendering of a received value before it is cut, so one line stays readable. */
const MAX_RECEIVED_LENGTH = 80;

/**
 * Reads typed configuration: schema defaults, overridden by the YAML file, overridden by the
 * environment. Environment names follow the schema path (`grpc.port` is
 * `<prefix>GRPC_PORT`, `tls.certFile` is `<prefix>TLS_CERT_FILE`); their strings are read
 * as the setting's type, and an empty string counts as unset. Environment variables with the
 * prefix that name no setting are ignored. In the file, an empty (null) value counts as
 * unset.
 *
 * @throws ConfigError listing every wrong setting, with where it came from, what was
 *   expected and what was received.
 */
export function loadConfig<T extends z.ZodType>(options: LoadConfigOptions<T>): z.output<T> {
  const map = walkSchema(options.schema, options.prefix);
  const settingsByKey = new Map(map.settings.map((setting) => [setting.key, setting]));
  const input: Tree = {};
  const provenance = new Map<string, Provenance>();
  const issues: ConfigIssue[] = [];
  const reported = new Set<string>();

  if (options.file !== undefined) {
    const document = readYaml(options.file, issues);
    copyFileValues(document, '', { map, settingsByKey, input, provenance, issues, reported });
  }

  for (const setting of map.settings) {
    const raw = options.env[setting.env];
    if (raw === undefined || raw.trim() === '') {
      continue;
    }
    const coerced = coerceEnv(setting.kind, raw);
    if (!coerced.ok) {
      issues.push({
        setting: setting.env,
        source: 'env',
        expected: expectedFrom(setting, 'env'),
        received: JSON.stringify(raw),
      });
      reported.add(setting.key);
      continue;
    }
    setAt(input, setting.path, coerced.value);
    provenance.set(setting.key, { source: 'env', raw });
  }

  // Absent nested objects are created so that the defaults of their fields apply.
  for (const group of map.groups.values()) {
    if (group.required && group.path.length > 0 && getAt(input, group.path) === undefined) {
      setAt(input, group.path, {});
    }
  }

  const result = options.schema.safeParse(input);
  if (!result.success) {
    for (const zodIssue of result.error.issues) {
      const issue = toConfigIssue(zodIssue, map, settingsByKey, provenance);
      if (!reported.has(issue.key)) {
        issues.push(issue.issue);
      }
    }
  }
  if (issues.length > 0 || !result.success) {
    throw new ConfigError(issues, options.file);
  }
  return result.data;
}

function readYaml(file: string, issues: ConfigIssue[]): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    issues.push({
      setting: file,
      source: 'file',
      expected: 'a readable YAML file',
      received: (error as Error).message,
    });
    return undefined;
  }
  try {
    return parseYaml(text) as unknown;
  } catch (error) {
    // The first line says what and where; the rest is a code excerpt for terminals.
    issues.push({
      setting: file,
      source: 'file',
      expected: 'valid YAML',
      received: (error as Error).message.split('\n')[0] ?? '',
    });
    return undefined;
  }
}

interface FileWalk {
  readonly map: SchemaMap;
  readonly settingsByKey: ReadonlyMap<string, Setting>;
  readonly input: Tree;
  readonly provenance: Map<string, Provenance>;
  readonly issues: ConfigIssue[];
  readonly reported: Set<string>;
}

function copyFileValues(value: unknown, groupKey: string, walk: FileWalk): void {
  const group = walk.map.groups.get(groupKey);
  if (value === null || value === undefined || !group) {
    return;
  }
  if (!isPlainObject(value)) {
    walk.issues.push({
      setting: groupKey === '' ? '(top level)' : groupKey,
      source: 'file',
      expected: `a mapping with the keys ${group.keys.join(', ')}`,
      received: formatValue(value),
    });
    walk.reported.add(groupKey);
    return;
  }
  for (const [name, item] of Object.entries(value)) {
    const key = groupKey === '' ? name : `${groupKey}.${name}`;
    if (!group.keys.includes(name)) {
      const owner = groupKey === '' ? 'a top-level key' : `a key of ${groupKey}`;
      walk.issues.push({
        setting: key,
        source: 'file',
        expected: `${owner} (${group.keys.join(', ')})`,
        received: `unknown key ${JSON.stringify(name)}`,
      });
      continue;
    }
    if (walk.map.groups.has(key)) {
      copyFileValues(item, key, walk);
      continue;
    }
    const setting = walk.settingsByKey.get(key);
    if (setting && item !== null && item !== undefined) {
      setAt(walk.input, setting.path, item);
      walk.provenance.set(key, { source: 'file', value: item });
    }
  }
}

function toConfigIssue(
  issue: z.core.$ZodIssue,
  map: SchemaMap,
  settingsByKey: ReadonlyMap<string, Setting>,
  provenance: ReadonlyMap<string, Provenance>,
): { key: string; issue: ConfigIssue } {
  const path = issue.path.map(String);
  let key = '';
  let setting: Setting | undefined;
  for (let length = path.length; length >= 0; length--) {
    const candidate = path.slice(0, length).join('.');
    setting = settingsByKey.get(candidate);
    if (setting || map.groups.has(candidate)) {
      key = candidate;
      break;
    }
  }
  const origin = provenance.get(key);
  const source = origin?.source ?? 'default';
  // Refinements carry their own wording; type and range failures are phrased from the schema.
  const expected =
    issue.code === 'custom' || !setting ? issue.message : expectedFrom(setting, source);

  if (origin?.source === 'env') {
    return {
      key,
      issue: {
        setting: setting?.env ?? key,
        source,
        expected,
        received: JSON.stringify(origin.raw),
      },
    };
  }
  if (origin?.source === 'file') {
    return { key, issue: { setting: key, source, expected, received: formatValue(origin.value) } };
  }
  const name = setting?.env ?? (key === '' ? '(top level)' : key);
  if (setting && 'defaultValue' in setting) {
    return {
      key,
      issue: { setting: name, source, expected, received: formatValue(setting.defaultValue) },
    };
  }
  const why = setting?.description && issue.code !== 'custom' ? ` (${setting.description})` : '';
  return {
    key,
    issue: { setting: name, source, expected: expected + why, received: NOTHING_RECEIVED },
  };
}

function formatValue(value: unknown): string {
  if (typeof value === 'string' || isPlainObject(value) || Array.isArray(value)) {
    const text = JSON.stringify(value);
    return text.length > MAX_RECEIVED_LENGTH ? `${text.slice(0, MAX_RECEIVED_LENGTH)}...` : text;
  }
  return String(value);
}

function isPlainObject(value: unknown): value is Tree {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return false;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

function getAt(tree: Tree, path: readonly string[]): unknown {
  let node: unknown = tree;
  for (const part of path) {
    if (!isPlainObject(node)) {
      return undefined;
    }
    node = node[part];
  }
  return node;
}

function setAt(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const part of path.slice(0, -1)) {
    const next = node[part];
    if (!isPlainObject(next)) {
      node[part] = {};
    }
    node = node[part] as Tree;
  }
  node[path[path.length - 1] ?? ''] = value;
}
