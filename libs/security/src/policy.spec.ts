import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidArgumentError } from '@verdict/errors';
import { createAuthorizer } from './authorizer';
import {
  DENY_ALL_POLICY_SOURCE,
  loadPolicyFile,
  loadServicePolicy,
  parsePolicy,
  PolicyValidationError,
} from './policy';
import { servicePrincipal } from './principal';

const EXAMPLE = `roles:
  model-reader: [model:read]
  deployer: [model:read, model:deploy]
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/model-server']
    roles: [model-reader]
  - groups: [ml-team-a]
    roles: [deployer]
    teams: [team-a]
  - subjects: [ci-bot]
    roles: [admin]
`;

function issuesOf(yaml: string): string[] {
  try {
    parsePolicy(yaml, 'policy.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect(error).toBeInstanceOf(InvalidArgumentError);
    return (error as PolicyValidationError).issues.map(
      (issue) => `${issue.path}@${issue.line}: expected ${issue.expected}, got ${issue.received}`,
    );
  }
  throw new Error('expected the policy to be refused');
}

describe('parsePolicy', () => {
  it('parses the documented example, filling absent lists', () => {
    const policy = parsePolicy(EXAMPLE, 'example.yaml');
    expect(policy.source).toBe('example.yaml');
    expect(policy.roles).toEqual({
      'model-reader': ['model:read'],
      deployer: ['model:read', 'model:deploy'],
      admin: ['*'],
    });
    expect(policy.bindings).toEqual([
      {
        principals: ['spiffe://verdict.local/ns/default/sa/model-server'],
        groups: [],
        subjects: [],
        roles: ['model-reader'],
      },
      {
        principals: [],
        groups: ['ml-team-a'],
        subjects: [],
        roles: ['deployer'],
        teams: ['team-a'],
      },
      { principals: [], groups: [], subjects: ['ci-bot'], roles: ['admin'] },
    ]);
  });

  it('names the path, the line, what was expected and what came for an unknown role', () => {
    expect(issuesOf(EXAMPLE.replace('roles: [deployer]', 'roles: [deployr]'))).toEqual([
      `bindings[1].roles[0]@9: expected one of the roles defined under 'roles' (model-reader, deployer, admin), got "deployr"`,
    ]);
  });

  it('reports every shape problem at once, each at its path', () => {
    const yaml = `roles:
  reader: [model:raed]
  writer: model:publish
bindings:
  - principals: ['spiffe://Verdict.local/x']
    roles: [reader]
  - roles: [reader]
  - groups: [a]
    roles: []
    team: [x]
`;
    expect(issuesOf(yaml)).toEqual([
      `roles.reader[0]@2: expected a known permission (see PERMISSIONS), '*', or a prefix wildcard such as 'model:*', got "model:raed"`,
      `roles.writer@3: expected a list of permissions, got "model:publish"`,
      `bindings[0].principals[0]@5: expected a trust domain of lowercase letters, digits, '.', '-' and '_' (optionally followed by /*), got "spiffe://Verdict.local/x"`,
      `bindings[1]@7: expected at least one of principals, groups or subjects, got a mapping`,
      `bindings[2].roles@9: expected a non-empty list of role names, got an empty list`,
      `bindings[2].team@10: expected one of the keys principals, groups, subjects, roles, teams, got an unknown key`,
    ]);
  });

  it('builds a message that lists every issue after the source', () => {
    expect(() => parsePolicy('roles: {}\nbindings: []\nextra: 1\n', 'p.yaml')).toThrow(
      'p.yaml: extra (line 3): expected one of the keys roles, bindings, got an unknown key',
    );
  });

  it('refuses a document that is not a mapping, or misses a section', () => {
    expect(issuesOf('')).toEqual([
      '(document)@undefined: expected a mapping with roles and bindings, got an empty value',
    ]);
    expect(issuesOf('roles: {}\n')).toEqual([
      'bindings@1: expected a list of bindings, got nothing',
    ]);
  });

  it('refuses invalid role names and wildcard grants of nothing', () => {
    expect(
      issuesOf("roles:\n  'bad role': [model:read]\n  x: ['nothing:*']\nbindings: []\n"),
    ).toEqual([
      `roles.bad role@2: expected a name of letters, digits, '.', '-' and '_', got the key "bad role"`,
      `roles.x[0]@3: expected a known permission (see PERMISSIONS), '*', or a prefix wildcard such as 'model:*', got "nothing:*"`,
    ]);
  });

  it('reports YAML syntax errors with their line', () => {
    const [issue] = issuesOf('roles:\n  a: [model:read\nbindings: []\n');
    expect(issue).toMatch(/^\(document\)@\d: expected valid YAML, got /);
  });

  it('refuses duplicate keys, which YAML would otherwise resolve silently', () => {
    expect(issuesOf('roles:\n  a: [model:read]\n  a: ["*"]\nbindings: []\n')[0]).toMatch(
      /expected valid YAML, got Map keys must be unique/,
    );
  });

  it('accepts wildcard SPIFFE patterns and prefix grants', () => {
    const policy = parsePolicy(
      "roles:\n  all-models: ['model:*']\nbindings:\n  - principals: ['spiffe://verdict.local/ns/default/*']\n    roles: [all-models]\n",
    );
    expect(policy.bindings[0].principals).toEqual(['spiffe://verdict.local/ns/default/*']);
  });

  describe('loadPolicyFile', () => {
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'verdict-policy-'));
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('reads a file and names it in errors', async () => {
      const good = join(dir, 'good.yaml');
      const bad = join(dir, 'bad.yaml');
      await writeFile(good, EXAMPLE);
      await writeFile(bad, 'roles: []\nbindings: []\n');
      expect((await loadPolicyFile(good)).source).toBe(good);
      await expect(loadPolicyFile(bad)).rejects.toThrow(
        `${bad}: roles (line 1): expected a mapping from role names to lists of permissions, got an empty list`,
      );
    });
  });
  describe('loadServicePolicy', () => {
    it('without a file denies every permission to every principal', async () => {
      const policy = await loadServicePolicy(undefined);
      const authorizer = createAuthorizer(policy);
      const admin = servicePrincipal('spiffe://verdict.local/ns/default/sa/admin');
      expect(policy.source).toBe(DENY_ALL_POLICY_SOURCE);
      expect(authorizer.authorize(admin, 'model:read', { anyTeam: true }).allowed).toBe(false);
      expect(authorizer.authorize(admin, 'model:read', { team: 'team-a' }).allowed).toBe(false);
    });

    it('with a file reads that file', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'verdict-policy-service-'));
      try {
        const file = join(dir, 'policy.yaml');
        await writeFile(file, EXAMPLE);
        expect((await loadServicePolicy(file)).source).toBe(file);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });
});
