import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serverNameOptions } from './cli-client';
import { readCliEnvironment } from './cli-environment';
import { clientPkiFiles, PkiNotFoundError } from './client-pki';
import { findVerdictHome, homeForWriting } from './verdict-home';

describe('where the CLI finds its state, certificate and services', () => {
  let root: string;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'verdict-env-'));
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  /** A checkout at `root/repo` with `.verdict/pki` and the CLI at apps/cli/dist. */
  async function checkout(): Promise<{ repo: string; cliDir: string; pki: string }> {
    const repo = join(root, 'repo');
    const cliDir = join(repo, 'apps', 'cli', 'dist');
    const pki = join(repo, '.verdict', 'pki');
    await mkdir(cliDir, { recursive: true });
    await mkdir(pki, { recursive: true });
    await writeFile(join(repo, 'package.json'), JSON.stringify({ name: 'verdict' }));
    return { repo, cliDir, pki };
  }

  it('finds .verdict above the working directory, e.g. from apps/demo where npm runs scripts', async () => {
    const { repo } = await checkout();
    const search = findVerdictHome({ cwd: join(repo, 'apps', 'cli') });
    expect(search).toEqual({
      found: true,
      home: join(repo, '.verdict'),
      source: 'above the working directory',
    });
  });

  it("finds the repository's .verdict from the CLI's own location when run from elsewhere", async () => {
    const { repo, cliDir } = await checkout();
    const elsewhere = join(root, 'elsewhere');
    await mkdir(elsewhere);
    const environment = readCliEnvironment({ env: {}, cwd: elsewhere, cliDir });
    expect(environment.pkiDir()).toBe(join(repo, '.verdict', 'pki'));
    expect(environment.stateFile('data')).toBe(join(repo, '.verdict', 'data'));
  });

  it('takes VERDICT_HOME, VERDICT_PKI_DIR and --pki before anything it finds, in that order of strength', async () => {
    const { cliDir } = await checkout();
    const env = { VERDICT_HOME: join(root, 'home') };
    expect(readCliEnvironment({ env, cwd: root, cliDir }).pkiDir()).toBe(join(root, 'home', 'pki'));
    const withPki = { ...env, VERDICT_PKI_DIR: 'certs' };
    expect(readCliEnvironment({ env: withPki, cwd: root, cliDir }).pkiDir()).toBe(
      join(root, 'certs'),
    );
    expect(readCliEnvironment({ env: withPki, cwd: root, cliDir }).pkiDir('flag')).toBe(
      join(root, 'flag'),
    );
  });

  it('names every place it looked when there is no state folder', () => {
    const environment = readCliEnvironment({ env: {}, cwd: root, cliDir: root });
    expect(() => environment.pkiDir()).toThrow(PkiNotFoundError);
    expect(() => environment.pkiDir()).toThrow(
      new RegExp(
        `no --pki, VERDICT_PKI_DIR or VERDICT_HOME, and no \\.verdict folder in ${root} or above`,
      ),
    );
  });

  it("writes a fresh clone's state into the repository, not the working directory", async () => {
    const repo = join(root, 'fresh');
    const cliDir = join(repo, 'apps', 'cli', 'dist');
    await mkdir(cliDir, { recursive: true });
    await writeFile(join(repo, 'package.json'), JSON.stringify({ name: 'verdict' }));
    const options = { cwd: join(repo, 'apps', 'demo'), cliDir };
    expect(homeForWriting(findVerdictHome(options), options)).toBe(join(repo, '.verdict'));
  });

  it('reads service addresses from VERDICT_<SERVICE>_ADDRESS, else the dev stack defaults', () => {
    const env = {
      VERDICT_EXPERIMENT_ANALYZER_ADDRESS: '10.0.0.5:443',
      VERDICT_ROUTER_OPS_ADDRESS: '10.0.0.6:9101',
    };
    const environment = readCliEnvironment({ env, cwd: root, cliDir: root });
    expect(environment.address('experiment-analyzer')).toBe('10.0.0.5:443');
    expect(environment.address('router', 'ops')).toBe('10.0.0.6:9101');
    expect(environment.address('registry')).toBe('127.0.0.1:50053');
  });

  describe('the certificate folder', () => {
    it("takes `verdict pki init`'s layout and a cert-manager Secret's", async () => {
      await writeFile(join(root, 'tls.crt'), '');
      await writeFile(join(root, 'tls.key'), '');
      await writeFile(join(root, 'ca.crt'), '');
      expect(clientPkiFiles(root)).toEqual({
        mode: 'mtls',
        caFile: join(root, 'ca.crt'),
        certFile: join(root, 'tls.crt'),
        keyFile: join(root, 'tls.key'),
      });
      await writeFile(join(root, 'developer.pem'), '');
      await writeFile(join(root, 'developer.key'), '');
      await writeFile(join(root, 'ca.pem'), '');
      expect(clientPkiFiles(root).certFile).toBe(join(root, 'developer.pem'));
    });

    it('names the missing file, which grpc-js would not', async () => {
      expect(() => clientPkiFiles(root)).toThrow(
        `no client certificate in ${root}: expected ca.pem, developer.pem and developer.key (verdict pki init), or ca.crt, tls.crt and tls.key (a cert-manager Secret)`,
      );
      await writeFile(join(root, 'developer.pem'), '');
      await writeFile(join(root, 'ca.pem'), '');
      expect(() => clientPkiFiles(root)).toThrow(`${join(root, 'developer.key')} missing`);
    });
  });

  it('sends no IP address as the TLS server name (RFC 6066, Node DEP0123), only for loopback', () => {
    expect(serverNameOptions('127.0.0.1:50051')).toEqual({
      'grpc.ssl_target_name_override': 'localhost',
    });
    expect(serverNameOptions('[::1]:50051')).toEqual({
      'grpc.ssl_target_name_override': 'localhost',
    });
    expect(serverNameOptions('registry.verdict.svc:443')).toEqual({});
    expect(serverNameOptions('10.0.0.5:443')).toEqual({});
  });
});
