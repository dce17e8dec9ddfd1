import { resolve } from 'node:path';
import { initDevPki } from '@verdict/security';
import type { CommandResult } from './command';

export async function pkiInitCommand(flags: {
  dir?: string;
  force?: boolean;
}): Promise<CommandResult> {
  const pki = await initDevPki({
    dir: resolve(flags.dir ?? '.verdict/pki'),
    force: flags.force === true,
  });
  process.stdout.write(
    `PKI in ${pki.dir} (trust domain ${pki.trustDomain})\n  CA: ${pki.caCert}\n` +
      Object.entries(pki.services)
        .map(([name, paths]) => `  ${name.padEnd(20)} ${paths.cert}\n`)
        .join('') +
      `  client               ${pki.client.cert}\n`,
  );
  return { exitCode: 0 };
}
