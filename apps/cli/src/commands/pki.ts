import { resolve } from 'node:path';
import { initDevPki } from '@verdict/security';
import type { CommandResult } from './command';

export const PKI_USAGE = `verdict pki init [--dir .verdict/pki] [--force]

Creates a development CA and, per service, a key and certificate with URI SAN
spiffe://verdict.local/ns/default/sa/<service> (plus DNS localhost and IP 127.0.0.1), and a client
certificate for the local user. Existing valid files are kept unless --force.`;

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
