import { createHash } from 'node:crypto';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runService, type RunningService } from '@verdict/grpc-kit';
import { buildMlp } from '@verdict/model-zoo';
import { REGISTRY_PERMISSIONS } from '@verdict/security';
import { readConfig } from '../../../registry/src/config';
import { setupRegistry } from '../../../registry/src/service';
import { createServiceTestBed, type ServiceTestBed } from '../testing/service-test-bed';
import { modelCommand, type ModelFlags } from './model';

const POLICY = `
roles:
  admin: ['*']
bindings:
  - principals: ['spiffe://verdict.local/ns/default/sa/tester']
    roles: [admin]
`;

/** A real registry over mutual TLS (as the registry's service.spec.ts starts it), driven by the CLI. */
describe('verdict model', () => {
  let bed: ServiceTestBed;
  let dir: string;
  let pkiDir: string;
  let service: RunningService;
  let address: string;
  const files: Record<'v1' | 'v2' | 'junk', { path: string; bytes: Buffer }> = {} as Record<
    'v1' | 'v2' | 'junk',
    { path: string; bytes: Buffer }
  >;

  beforeAll(async () => {
    bed = await createServiceTestBed('verdict-cli-model-', POLICY);
    ({ dir, pkiDir } = bed);
    const config = readConfig({ ...bed.serviceEnv, VERDICT_REGISTRY_CHUNK_BYTES: '4096' });
    service = await runService({
      name: 'registry',
      config,
      permissions: REGISTRY_PERMISSIONS,
      setup: setupRegistry,
    });
    address = `127.0.0.1:${service.grpcPort}`;
    const write = async (name: 'v1' | 'v2' | 'junk', bytes: Uint8Array) => {
      files[name] = { path: join(dir, `${name}.onnx`), bytes: Buffer.from(bytes) };
      await writeFile(files[name].path, bytes);
    };
    // Larger than one transfer chunk (1 MiB), so uploads and downloads take several messages.
    await write('v1', buildMlp({ inputSize: 512, hiddenSizes: [640], outputSize: 2, seed: 1 }));
    await write('v2', buildMlp({ inputSize: 512, hiddenSizes: [640], outputSize: 2, seed: 2 }));
    await write('junk', Buffer.from('this is not an ONNX model'));
  }, 30_000);

  afterAll(async () => {
    await service?.stop();
    await bed?.remove();
  }, 20_000);

  async function cli(args: string[], flags: ModelFlags = {}, tty = false) {
    const out = new PassThrough();
    const err = Object.assign(new PassThrough(), { isTTY: tty });
    let stdout = '';
    let stderr = '';
    out.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    err.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const { exitCode } = await modelCommand(args, { address, pki: pkiDir, ...flags }, { out, err });
    return { exitCode, stdout, stderr, json: () => JSON.parse(stdout) };
  }

  const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('pushes, lists versions, promotes, shows the history and pulls identical bytes', async () => {
    const first = await cli(['push', files.v1.path], {
      name: 'spam',
      team: 'team-a',
      alias: 'staging',
      description: 'spam filter',
      json: true,
    });
    expect(first).toMatchObject({ exitCode: 0, stderr: 'created model spam (team team-a)\n' });
    expect(first.json()).toMatchObject({
      created: true,
      version: { number: '1', sha256: sha(files.v1.bytes), state: 'VERSION_STATE_READY' },
      alias: { name: 'staging', version: '1' },
    });

    const again = await cli(['push', files.v1.path], { name: 'spam', team: 'team-a' });
    expect(again.stdout).toMatch(/^already stored as spam version 1 /);

    // On a terminal the push draws a progress bar on stderr.
    const second = await cli(['push', files.v2.path], { name: 'spam', team: 'team-a' }, true);
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe(
      `pushed spam version 2 (${(files.v2.bytes.length / 1024 / 1024).toFixed(1)} MiB, sha256 ${sha(files.v2.bytes)})\n`,
    );
    expect(second.stderr).toContain('push spam [##############################] 100%');

    const versions = await cli(['versions', 'spam']);
    expect(versions.stdout.split('\n')[0]).toMatch(/^VERSION +STATE +SIZE +SHA256 +ALIASES/);
    expect(versions.stdout).toMatch(
      new RegExp(`\\n1 +READY .* ${sha(files.v1.bytes).slice(0, 12)} +staging `),
    );
    expect((await cli(['versions', 'spam'], { json: true })).json().versions).toHaveLength(2);

    const promoted = await cli(['promote', 'spam', '2'], { alias: 'production' });
    expect(promoted).toMatchObject({ exitCode: 0 });
    expect(promoted.stdout).toMatch(/^spam@production: \(new\) -> 2 \(revision \d+\)\n$/);
    await cli(['promote', 'spam', '1'], { alias: 'staging' });
    await cli(['promote', 'spam', '2'], { alias: 'staging' });

    const history = (await cli(['history', 'spam'], { json: true })).json();
    expect(
      history.moves.map((m: Record<string, string>) => [m.alias, m.fromVersion, m.toVersion]),
    ).toEqual([
      ['staging', '1', '2'],
      ['staging', '1', '1'],
      ['production', undefined, '2'],
      ['staging', undefined, '1'],
    ]);
    const historyTable = await cli(['history', 'spam'], { alias: 'production' });
    expect(historyTable.stdout.split('\n').filter(Boolean)).toHaveLength(2);

    const out = join(dir, 'pulled.onnx');
    const pulled = await cli(['pull', 'spam@production'], { out });
    expect(pulled.stdout).toContain(`sha256 ${sha(files.v2.bytes)} verified`);
    expect((await readFile(out)).equals(files.v2.bytes)).toBe(true);
    await cli(['pull', 'spam:1'], { out });
    expect((await readFile(out)).equals(files.v1.bytes)).toBe(true);
    await cli(['pull', 'spam'], { out });
    expect((await readFile(out)).equals(files.v2.bytes)).toBe(true);

    const show = await cli(['show', 'spam']);
    expect(show.stdout).toMatch(/team +team-a/);
    expect(show.stdout).toMatch(/\nproduction +2 /);
    const list = await cli(['list'], { json: true });
    expect(list.json().models).toEqual([
      expect.objectContaining({ name: 'spam', team: 'team-a', latestVersion: '2' }),
    ]);
  });

  it('resumes a cut-off pull from the partial file and refuses a partial file of other bytes', async () => {
    await cli(['push', files.v1.path], { name: 'resume', team: 'team-a' });
    const out = join(dir, 'resumed.onnx');
    const cut = 1_000_000;
    await writeFile(`${out}.part`, files.v1.bytes.subarray(0, cut));
    const resumed = await cli(['pull', 'resume:1'], { out, json: true });
    expect(resumed.json()).toMatchObject({ resumedFromBytes: cut, version: { number: '1' } });
    expect((await readFile(out)).equals(files.v1.bytes)).toBe(true);
    await expect(stat(`${out}.part`)).rejects.toMatchObject({ code: 'ENOENT' });

    // A prefix that is not this artifact's is kept as is and caught by the digest check.
    const other = Buffer.from(files.v1.bytes.subarray(0, cut));
    other[100] ^= 0xff;
    await writeFile(`${out}.part`, other);
    await rm(out);
    const refused = await cli(['pull', 'resume:1'], { out });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(
      /resume: received \d+ bytes with SHA-256 .*resumed from 1000000 bytes/,
    );
    await expect(stat(out)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(stat(`${out}.part`)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('says clearly what is wrong: an unknown or invalid name, a wrong team, a file that is not ONNX', async () => {
    const unknown = await cli(['show', 'nope']);
    expect(unknown.exitCode).toBe(1);
    expect(unknown.stderr).toMatch(/^verdict model show: model .*nope.* \(NOT_FOUND\)\n$/);
    const pull = await cli(['pull', 'nope@production'], { out: join(dir, 'x.onnx') });
    expect(pull.stderr).toMatch(/^verdict model pull: .*nope.* \(NOT_FOUND\)\n$/);
    const invalid = await cli(['versions', 'Bad_Name']);
    expect(invalid.stderr).toMatch(/^verdict model versions: .*Bad_Name.* \(INVALID_ARGUMENT\)\n$/);

    await cli(['push', files.v1.path], { name: 'owned', team: 'team-a' });
    const team = await cli(['push', files.v2.path], { name: 'owned', team: 'team-b' });
    expect(team.exitCode).toBe(1);
    expect(team.stderr).toContain('--team: expected team-a (the team that owns owned), got team-b');
    const junk = await cli(['push', files.junk.path], { name: 'owned', team: 'team-a' });
    expect(junk.exitCode).toBe(1);
    expect(junk.stderr).toMatch(/ONNX.*\(INVALID_ARGUMENT\)/);
    expect((await cli(['versions', 'owned'], { json: true })).json().versions).toHaveLength(1);
    const refused = await cli(['push', files.junk.path], { name: 'never', team: 'team-a' });
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toMatch(/ONNX.*\(INVALID_ARGUMENT\)/);
    expect((await cli(['show', 'never'])).stderr).toMatch(/never.* \(NOT_FOUND\)/);

    expect((await cli(['promote', 'owned', 'two'], { alias: 'production' })).exitCode).toBe(2);
    expect((await cli(['push', files.v1.path], { name: 'owned' })).exitCode).toBe(2);
    expect((await cli(['frobnicate'])).exitCode).toBe(2);
  });
});
