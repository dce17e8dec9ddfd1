import { PassThrough, Readable } from 'node:stream';
import { auditRootCommand } from './audit-root';

async function root(input: string): Promise<{ exitCode: number; text: string }> {
  const output = new PassThrough();
  let text = '';
  output.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const { exitCode } = await auditRootCommand(
    { 'stdin-hex': true },
    Readable.from([input]),
    output,
  );
  return { exitCode, text: text.trim() };
}

describe('verdict audit root --stdin-hex', () => {
  it('prints the RFC 9162 roots of the published test vectors', async () => {
    expect(await root('')).toEqual({
      exitCode: 0,
      text: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    });
    expect(await root('\n')).toEqual({
      exitCode: 0,
      text: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    });
    expect(
      await root(
        '\n00\n10\n2021\n3031\n40414243\n5051525354555657\n606162636465666768696a6b6c6d6e6f\n',
      ),
    ).toEqual({
      exitCode: 0,
      text: '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
    });
  });

  it('refuses a line that is not hex, naming it', async () => {
    expect((await root('00\nzz\n')).exitCode).toBe(2);
  });
});
