import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NOT_RUNNABLE, NOT_RUNNABLE_KINDS, STEPS, type Step } from './documented-command-steps';
import { documentedCommands } from './documented-commands';
import { startStack, SERVICE_NAMES, type Stack } from './harness';

const REPO = join(__dirname, '..', '..', '..');
const CATALOGUE = 'test/e2e/src/documented-command-steps.ts';

/** What one shell line did. */
interface Ran {
  command: string;
  cwd: string;
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The environment a reader's shell would have beside this stack: VERDICT_HOME and the service
 * addresses, nothing of the caller's VERDICT_* or npm settings; npx may not download anything,
 * so a missing bin link fails instead of fetching some other package.
 */
function readerEnv(stack: Stack): NodeJS.ProcessEnv {
  const env = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(VERDICT_|npm_)/i.test(key)),
  );
  const hostPort = (url: string) => url.replace(/^https?:\/\//, '');
  return {
    ...env,
    VERDICT_HOME: stack.dir,
    ...Object.fromEntries(
      SERVICE_NAMES.map((name) => [
        `VERDICT_${name.toUpperCase().replace(/-/g, '_')}_ADDRESS`,
        stack.grpc[name],
      ]),
    ),
    VERDICT_ROUTER_OPS_ADDRESS: hostPort(stack.ops.router),
    npm_config_offline: 'true',
    npm_config_yes: 'false',
  };
}

/** The shell line of `step` as run from `cwd`: the bin and npm scripts of this checkout. */
function located(step: Step, root: boolean): string {
  if (root) return step.run.replace(/^verdict /, 'npx verdict ');
  return step.run
    .replace(/^(npx )?verdict /, `npx --prefix ${REPO} verdict `)
    .replace(/^npm run /, `npm --prefix ${REPO} run `);
}

const fill = (text: string, values: ReadonlyMap<string, string>) =>
  text.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = values.get(name);
    if (value === undefined) throw new Error(`no value for ${whole} in "${text}"`);
    return value;
  });

function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      'sh',
      ['-c', command],
      // The demo's own limit is about 4 minutes.
      { cwd, env, timeout: 300_000, maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ command, cwd, code, stdout, stderr });
      },
    );
  });
}

describe('every documented command', () => {
  const documented = documentedCommands(REPO);

  it('is run here or listed as not runnable with a reason', () => {
    // The extraction itself must find the commands a newcomer types first.
    expect(documented.map((c) => c.text)).toEqual(
      expect.arrayContaining(['npm install && npm start', 'npx verdict health', 'npm run demo']),
    );
    const covered = new Set([...STEPS.map((s) => s.covers), ...Object.keys(NOT_RUNNABLE)]);
    const uncovered = documented.filter(
      (command) =>
        !covered.has(command.text) && !NOT_RUNNABLE_KINDS.some(([kind]) => kind.test(command.text)),
    );
    expect(
      uncovered.map(
        (c) =>
          `${c.where}: "${c.text}" is neither run nor listed as not runnable: add a step or a NOT_RUNNABLE reason in ${CATALOGUE}`,
      ),
    ).toEqual([]);
  });

  it('has no entry for a command the docs no longer show', () => {
    const shown = new Set(documented.map((c) => c.text));
    const stale = [...STEPS.map((s) => s.covers), ...Object.keys(NOT_RUNNABLE)].filter(
      (text) => !shown.has(text),
    );
    expect(
      stale.map((text) => `${CATALOGUE}: "${text}" is in no README.md or docs/*.md code block`),
    ).toEqual([]);
  });

  // Each location gets its own freshly started stack, as a newcomer's `npm start` would: the demo
  // stops the other experiments and starts a drift alert's cooldown, so a second demo on the same
  // stack would not see the alert it waits for.
  describe.each([
    ['the repository root', 'root'],
    ['another directory', 'elsewhere'],
  ] as const)('against a started dev stack, from %s', (_where, tag) => {
    let stack: Stack | undefined;
    let cwd: string;

    beforeAll(async () => {
      stack = await startStack();
      cwd = tag === 'root' ? REPO : await mkdtemp(join(tmpdir(), 'verdict-docs-'));
    }, 240_000);
    afterAll(async () => {
      if (tag === 'elsewhere') await rm(cwd, { recursive: true, force: true });
      await stack?.stop();
    }, 60_000);

    /** Runs every step from `cwd`; a failing one fails the test with its command, exit code and stderr. */
    async function runAll(cwd: string, tag: 'root' | 'elsewhere') {
      const demo = /^Demo experiment (exp-[0-9a-f]+) /
        .exec(stack!.output.find((line) => line.startsWith('Demo experiment ')) ?? '')
        ?.at(1);
      expect(demo).toBeDefined();
      const values = new Map([
        ['repo', REPO],
        ['demo', demo!],
        ['tag', tag],
      ]);
      const env = readerEnv(stack!);
      const written = new Set<string>();
      try {
        for (const step of STEPS) {
          for (const [name, content] of Object.entries(step.files ?? {})) {
            await writeFile(join(cwd, name), fill(content, values));
            written.add(name);
          }
          step.leaves?.forEach((name) => written.add(name));
          const ran = await sh(fill(located(step, tag === 'root'), values), cwd, env);
          const said = `"${ran.command}" in ${ran.cwd} exited ${ran.code}\nstderr: ${ran.stderr}\nstdout: ${ran.stdout.slice(-2000)}`;
          if (ran.code !== 0) throw new Error(`a documented command failed: ${said}`);
          // No deprecation noise from any command (DEP0123 was printed by every call).
          if (ran.stderr.includes('DeprecationWarning')) {
            throw new Error(`a documented command printed a deprecation warning: ${said}`);
          }
          const id = /\b(exp-[0-9a-f]+)\b/.exec(ran.stdout)?.[1];
          if (step.captures !== undefined) {
            if (id === undefined) throw new Error(`no experiment id printed: ${said}`);
            values.set(step.captures, id);
          }
        }
      } finally {
        await Promise.all([...written].map((name) => rm(join(cwd, name), { force: true })));
      }
    }

    it('runs every step', () => runAll(cwd, tag), 600_000);
  });
});
