/**
 * The analyzer's HTTP surfaces against malformed input, in a real child process over real
 * sockets: the dashboard (HTTPS, dev PKI) and the ops server. A request that made a handler's
 * promise reject unhandled would end the child, as it ended the analyzer.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { launch, type LaunchedProcess } from '@verdict/process';
import fc from 'fast-check';
import { httpRequests, type HttpFuzzTarget } from './testing/http-fuzz';
import { sendRaw, type RawAnswer } from './testing/raw-http';

interface Surfaces {
  readonly dashboard: string;
  readonly ops: string;
  readonly token: string;
}

const PACKAGE_DIR = resolve(__dirname, '../..');
const FIXTURE = join(__dirname, 'testing/http-surfaces-process.ts');
/** Generated requests in all, split between the two servers. */
const FUZZ_RUNS = { dashboard: 6000, ops: 4000 };

/** Starts the fixture and reads the addresses from its first line. */
async function startSurfaces(
  pkiDir: string,
): Promise<{ child: LaunchedProcess; surfaces: Surfaces }> {
  const isAddresses = (line: string) => line.startsWith('{"dashboard"');
  const child = await launch({
    name: 'http-surfaces',
    entry: FIXTURE,
    args: [pkiDir],
    cwd: PACKAGE_DIR,
    ready: { line: isAddresses, timeoutMs: 100_000 },
  });
  return { child, surfaces: JSON.parse(child.lines.find(isAddresses)!) as Surfaces };
}

/** Why the fixture ended, from its latest lines. */
function exitReport(child: LaunchedProcess): string {
  return `the fixture exited (${String(child.child.exitCode)}): ${child.lines.slice(-30).join('\n')}`;
}

function request(lines: readonly string[]): Buffer {
  return Buffer.from(`${[...lines, 'Connection: close'].join('\r\n')}\r\n\r\n`, 'latin1');
}

function finalStatus(answer: RawAnswer): number | undefined {
  return answer.statuses.at(-1);
}

describe('HTTP surfaces under malformed input (dashboard and ops server, child process)', () => {
  let dir: string;
  let child: LaunchedProcess;
  let surfaces: Surfaces;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-http-surfaces-'));
    ({ child, surfaces } = await startSurfaces(join(dir, 'pki')));
  }, 120_000);

  afterAll(async () => {
    await child?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  async function expectAlive(): Promise<void> {
    expect(child.running()).toBe(true);
    const dashboard = await sendRaw(
      surfaces.dashboard,
      request([
        'GET /api/experiments HTTP/1.1',
        'Host: x',
        `Authorization: Bearer ${surfaces.token}`,
      ]),
    );
    expect(finalStatus(dashboard)).toBe(200);
    const ops = await sendRaw(surfaces.ops, request(['GET /healthz HTTP/1.1', 'Host: x']));
    expect(finalStatus(ops)).toBe(200);
  }

  it('answers a sign-in cookie with broken percent-encoding with 401 naming the cookie, and keeps running', async () => {
    const answer = await sendRaw(
      surfaces.dashboard,
      request(['GET / HTTP/1.1', 'Host: x', 'Cookie: verdict_dashboard_token=%E0%A4%A']),
    );
    expect(finalStatus(answer)).toBe(401);
    expect(answer.text).toContain('verdict_dashboard_token');
    await expectAlive();
  });

  /** Sends the generated requests; resolves with how often each final status came back. */
  async function fuzz(
    server: 'dashboard' | 'ops',
    target: HttpFuzzTarget,
  ): Promise<Map<number, number>> {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(httpRequests(target), async (generated) => {
        const answer = await sendRaw(surfaces[server], generated.bytes);
        const status = finalStatus(answer);
        if (status !== undefined) seen.set(status, (seen.get(status) ?? 0) + 1);
        if (!child.running()) throw new Error(exitReport(child));
        if (status === undefined || status < 200 || status >= 500) {
          throw new Error(
            `answered ${String(status)} (${JSON.stringify(answer.text.slice(0, 300))})`,
          );
        }
      }),
      { numRuns: FUZZ_RUNS[server] },
    );
    return seen;
  }

  it(`answers ${FUZZ_RUNS.dashboard} generated requests to the dashboard with 2xx-4xx, and keeps running`, async () => {
    const seen = await fuzz('dashboard', {
      segments: [
        'api',
        'experiments',
        'exp-spam-ab',
        'results',
        'timeseries',
        'decisions',
        'models',
        'spam',
        'drift',
        'assets',
        'experiment.js',
        'uPlot.min.css',
      ],
      queryNames: ['points', 'start', 'end', 'token'],
      credentials: [
        `Authorization: Bearer ${surfaces.token}`,
        `Cookie: verdict_dashboard_token=${surfaces.token}`,
      ],
      cookieNames: ['verdict_dashboard_token'],
    });
    // The generator reaches every layer: served pages and JSON, refused parameters and
    // targets, authentication, routing and the method check.
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 401, 404, 405]));
    await expectAlive();
  }, 600_000);

  it(`answers ${FUZZ_RUNS.ops} generated requests to the ops server with 2xx-4xx, and keeps running`, async () => {
    const seen = await fuzz('ops', {
      segments: ['metrics', 'healthz', 'readyz'],
      queryNames: ['name[]', 'format'],
      credentials: [],
      cookieNames: ['session'],
    });
    expect([...seen.keys()]).toEqual(expect.arrayContaining([200, 400, 404, 405]));
    await expectAlive();
  }, 600_000);
});
