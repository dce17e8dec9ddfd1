import { readFile } from 'node:fs/promises';
import { LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { InvalidArgumentError } from '@verdict/errors';
import { policyDocumentSchema } from './policy-schema';
import { lineOf, lineOfKey } from './yaml-location';

/** One binding of a policy: who (any of the three lists) gets which roles, where. */
export interface PolicyBinding {
  /** SPIFFE IDs or `.../*` patterns of services. */
  readonly principals: readonly string[];
  /** JWT group names. */
  readonly groups: readonly string[];
  /** JWT subjects. */
  readonly subjects: readonly string[];
  readonly roles: readonly string[];
  /** When set, the roles apply only to resources owned by one of these teams. */
  readonly teams?: readonly string[];
}

/** A validated RBAC policy. */
export interface Policy {
  /** Where it came from (a file path, or what the caller named it); errors and reasons cite it. */
  readonly source: string;
  /** Role name to the permissions (or wildcards) it grants. */
  readonly roles: Readonly<Record<string, readonly string[]>>;
  readonly bindings: readonly PolicyBinding[];
}

/** One problem in a policy document. */
export interface PolicyIssue {
  /** Where in the YAML, e.g. `bindings[1].roles[0]`; `(document)` for the whole. */
  readonly path: string;
  /** 1-based line in the YAML text, when known. */
  readonly line?: number;
  readonly expected: string;
  readonly received: string;
}

/**
 * A policy document that is not valid. The message lists every issue with its YAML path, line,
 * what was expected and what was found; `field`, `expected` and `received` describe the first.
 */
export class PolicyValidationError extends InvalidArgumentError {
  readonly source: string;
  readonly issues: readonly PolicyIssue[];

  constructor(source: string, issues: readonly PolicyIssue[]) {
    const [first] = issues;
    super({
      field: `${source}: ${where(first)}`,
      expected: first.expected,
      received: first.received,
    });
    this.source = source;
    this.issues = issues;
    this.message = `${source}: ${issues
      .map((issue) => `${where(issue)}: expected ${issue.expected}, got ${issue.received}`)
      .join('; ')}`;
  }
}

/**
 * Parses and validates a YAML policy (roles: name -> permissions; bindings: principals, groups
 * or subjects -> roles, optionally scoped to teams).
 *
 * @param source - named in errors and decisions, e.g. the file path
 * @throws PolicyValidationError (an InvalidArgumentError) listing every problem found
 */
export function parsePolicy(yamlText: string, source = 'policy'): Policy {
  const lineCounter = new LineCounter();
  const document = parseDocument(yamlText, { lineCounter, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new PolicyValidationError(
      source,
      document.errors.map((error) => ({
        path: '(document)',
        line: lineCounter.linePos(error.pos[0]).line,
        expected: 'valid YAML',
        received: error.message.split('\n')[0],
      })),
    );
  }
  const data: unknown = document.toJS();
  const result = policyDocumentSchema.safeParse(data);
  if (!result.success) {
    throw new PolicyValidationError(
      source,
      result.error.issues.flatMap((issue) => toPolicyIssues(issue, data, document, lineCounter)),
    );
  }
  return {
    source,
    roles: result.data.roles,
    bindings: result.data.bindings.map((binding) => ({
      principals: binding.principals ?? [],
      groups: binding.groups ?? [],
      subjects: binding.subjects ?? [],
      roles: binding.roles,
      ...(binding.teams === undefined ? {} : { teams: binding.teams }),
    })),
  };
}

/** Reads and parses a policy file; errors name the file. See {@link parsePolicy}. */
export async function loadPolicyFile(path: string): Promise<Policy> {
  return parsePolicy(await readFile(path, 'utf8'), path);
}

/** Where {@link loadServicePolicy}'s built-in policy says it came from, in decisions and errors. */
export const DENY_ALL_POLICY_SOURCE = 'built-in deny-all policy';

/**
 * The policy a service runs under: its policy file, or without one a policy with no bindings,
 * so that nothing but the methods that need no permission (health, reflection) answers. A
 * service is closed until someone writes down who may call it.
 */
export async function loadServicePolicy(file: string | undefined): Promise<Policy> {
  return file === undefined
    ? parsePolicy('roles: {}\nbindings: []\n', DENY_ALL_POLICY_SOURCE)
    : loadPolicyFile(file);
}

function toPolicyIssues(
  issue: z.core.$ZodIssue,
  data: unknown,
  document: ReturnType<typeof parseDocument>,
  lineCounter: LineCounter,
): PolicyIssue[] {
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      line: lineOfKey(document, lineCounter, issue.path, key),
      expected: `one of the keys ${allowedKeys(issue.path)}`,
      received: 'an unknown key',
    }));
  }
  if (issue.code === 'invalid_key') {
    return [
      {
        path: formatPath(issue.path),
        line: lineOfKey(document, lineCounter, issue.path.slice(0, -1), String(issue.path.at(-1))),
        expected: issue.issues[0]?.message ?? issue.message,
        received: `the key ${JSON.stringify(String(issue.path.at(-1)))}`,
      },
    ];
  }
  return [
    {
      path: formatPath(issue.path),
      line: lineOf(document, lineCounter, issue.path),
      expected: issue.message,
      received: describeValue(valueAt(data, issue.path)),
    },
  ];
}

function allowedKeys(path: readonly PropertyKey[]): string {
  return path.length === 0 ? 'roles, bindings' : 'principals, groups, subjects, roles, teams';
}

function where(issue: PolicyIssue): string {
  return issue.line === undefined ? issue.path : `${issue.path} (line ${issue.line})`;
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) {
    return '(document)';
  }
  return path
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let value = data;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') {
      return undefined;
    }
    value = (value as Record<PropertyKey, unknown>)[segment];
  }
  return value;
}

/** Echoes scalars the policy author wrote (policies hold no secrets), describes the rest. */
function describeValue(value: unknown): string {
  if (value === undefined) {
    return 'nothing';
  }
  if (value === null) {
    return 'an empty value';
  }
  if (Array.isArray(value)) {
    return value.length === 0 ? 'an empty list' : `a list of ${value.length}`;
  }
  if (typeof value === 'object') {
    return 'a mapping';
  }
  const text = JSON.stringify(value);
  return text.length > 120 ? `${text.slice(0, 120)}...` : text;
}
