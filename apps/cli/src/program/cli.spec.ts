import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The committed launcher npm links as `verdict`; it loads the build (the test target builds first). */
const BIN = join(__dirname, '..', '..', 'bin', 'verdict.js');

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** The environment without the caller's VERDICT_* settings, so only what a test sets counts. */
const cleanEnv = (extra: Record<string, string> = {}) => ({
  ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('VERDICT_'))),
  ...extra,
});

function verdict(args: string[], options: { env?: Record<string, string>; bin?: string } = {}) {
  return new Promise<Ran>((resolve) => {
    execFile(
      process.execPath,
      [options.bin ?? BIN, ...args],
      { env: cleanEnv(options.env), cwd: tmpdir() },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/** stderr is exactly one line and starts with `prefix`. */
function expectOneLine(ran: Ran, prefix: string) {
  expect(ran.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  expect(ran.stderr.startsWith(prefix)).toBe(true);
}

describe('the verdict bin', () => {
  let dir: string;
  let pki: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-'));
    pki = join(dir, 'pki');
    expect((await verdict(['pki', 'init', '--dir', pki])).code).toBe(0);
  }, 60_000);
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('prints its version', async () => {
    const ran = await verdict(['--version']);
    expect(ran).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });

  it.each([
    [
      ['stats', '--help'],
      ['Usage: verdict stats', 'compare', 'srm'],
    ],
    [
      ['pki', '--help'],
      ['Usage: verdict pki', 'init'],
    ],
    [
      ['pki', 'init', '--help'],
      ['Usage: verdict pki init', '--force', '--dir <dir>'],
    ],
    [
      ['model', 'push', '--help'],
      ['Usage: verdict model push', '--team <team>', '--address'],
    ],
    [
      ['experiment', 'create', '--help'],
      ['--variant', '--guardrail', '--canary-step'],
    ],
  ])('prints the help of %j, not the general usage', async (args, texts) => {
    const ran = await verdict(args);
    expect(ran.code).toBe(0);
    for (const text of texts) expect(ran.stdout).toContain(text);
  });

  it("refuses another command's flag (pki init --guardrail) in one line, exit 2", async () => {
    const ran = await verdict(['pki', 'init', '--guardrail', 'x']);
    expect(ran.code).toBe(2);
    expectOneLine(ran, "verdict pki init: unknown option '--guardrail'");
  });

  it("answers a mistyped option with a suggestion in one line, not Node's message", async () => {
    const ran = await verdict(['infer', '--modle', 'spam', '--text', 'hi']);
    expect(ran.code).toBe(2);
    expectOneLine(ran, "verdict infer: unknown option '--modle' (Did you mean --model?)");
  });

  it('suggests the command meant', async () => {
    const ran = await verdict(['experimnt', 'list']);
    expect(ran.code).toBe(2);
    expectOneLine(ran, "verdict: unknown command 'experimnt' (Did you mean experiment?)");
  });

  it('turns an unreachable service into one line that says what to do, exit 1', async () => {
    const closed = await listen();
    const address = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    closed.close();
    const ran = await verdict(['model', 'list', '--address', address, '--pki', pki]);
    expect(ran.code).toBe(1);
    expectOneLine(ran, 'verdict model list: ');
    expect(ran.stderr).toMatch(/\(UNAVAILABLE\): is the service running\? `npm start`/);
    expect(ran.stderr).not.toMatch(/^14 UNAVAILABLE/);
  });

  it('sends no IP address as the TLS server name, so Node prints no DEP0123 warning', async () => {
    // A listener that accepts and never answers: the TLS connection starts, then the deadline ends it.
    const silent = await listen();
    const address = `127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const ran = await verdict(['health', '--address', address, '--pki', pki]);
      expect(ran.code).toBe(1);
      expect(ran.stdout).toContain('(DEADLINE_EXCEEDED)');
      expect(ran.stderr).not.toContain('DEP0123');
      expect(ran.stderr).not.toContain('DeprecationWarning');
    } finally {
      silent.close();
    }
  }, 30_000);

  it('names the files it looked for when the certificate is missing', async () => {
    const home = join(dir, 'empty-home');
    await mkdir(join(home, 'pki'), { recursive: true });
    const ran = await verdict(['experiment', 'list'], { env: { VERDICT_HOME: home } });
    expect(ran.code).toBe(1);
    expectOneLine(
      ran,
      `verdict experiment list: no client certificate in ${join(home, 'pki')}: expected ca.pem, developer.pem and developer.key`,
    );
  });

  it('says to build first when the launcher finds no build', async () => {
    const bin = join(dir, 'unbuilt', 'bin', 'verdict.js');
    await mkdir(join(dir, 'unbuilt', 'bin'), { recursive: true });
    await copyFile(BIN, bin);
    const ran = await verdict(['--version'], { bin });
    expect(ran.code).toBe(1);
    expectOneLine(ran, 'verdict: the CLI is not built yet');
    expect(ran.stderr).toContain('run `npm start`');
  });
});

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const server = createServer(() => undefined);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}
