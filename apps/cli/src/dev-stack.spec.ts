import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { devPolicyYaml } from '@verdict/security';
import { ensurePolicy } from './dev-stack';

describe('verdict dev policy file', () => {
  let dir: string;
  let file: string;
  let printed: string;
  const output = () => {
    const stream = new PassThrough();
    stream.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    return stream;
  };
  const generated = devPolicyYaml();

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'verdict-cli-policy-'));
    file = join(dir, 'policy.yaml');
    printed = '';
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('writes the generated policy when there is none', async () => {
    await ensurePolicy(file, generated, output());
    expect(await readFile(file, 'utf8')).toBe(generated);
    expect(printed).toBe('');
  });

  it('brings an older generated policy up to date and keeps the old one beside it', async () => {
    const older = generated.replace(/^ {2}router: .*$/m, '  router: [inference:invoke]');
    expect(older).not.toBe(generated);
    await writeFile(file, older);
    await ensurePolicy(file, generated, output());
    expect(await readFile(file, 'utf8')).toBe(generated);
    expect(await readFile(`${file}.previous`, 'utf8')).toBe(older);
    expect(printed).toBe(
      `verdict dev: ${file} updated to this version's generated policy (the old one is ${file}.previous)\n`,
    );
  });

  it("leaves the user's own policy and an up-to-date one alone", async () => {
    const own = 'roles:\n  admin: ["*"]\nbindings: []\n';
    await writeFile(file, own);
    await ensurePolicy(file, generated, output());
    expect(await readFile(file, 'utf8')).toBe(own);
    await writeFile(file, generated);
    await ensurePolicy(file, generated, output());
    await expect(stat(`${file}.previous`)).rejects.toThrow();
    expect(printed).toBe('');
  });
});
