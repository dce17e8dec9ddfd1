import { resolve } from 'node:path';
import { FailedPreconditionError } from '@verdict/errors';
import type { ModelFlags, ModelIo } from './model';
import type { RegistryClient } from './model-client';
import { json } from './model-format';
import { createProgressBar, formatBytes, type ProgressBar } from './model-progress';
import { downloadToFile, parseModelRef } from './model-transfer';

/** `verdict model pull NAME[@ALIAS|:VERSION] --out FILE`; NAME alone means the newest version. */
export async function pullCommand(
  client: RegistryClient,
  [ref]: string[],
  flags: ModelFlags,
  io: ModelIo,
): Promise<number> {
  if (flags.out === undefined) {
    io.err.write('verdict model pull: needs NAME[@ALIAS|:VERSION] and --out FILE\n');
    return 2;
  }
  const { model, selector } = parseModelRef(ref);
  const chosen = selector ?? { version: await newestVersion(client, model) };
  const out = resolve(flags.out);
  let bar: ProgressBar | undefined;
  const result = await downloadToFile(client, model, chosen, out, {
    onStart: (sizeBytes) => {
      bar = createProgressBar({ stream: io.err, label: `pull ${ref}`, totalBytes: sizeBytes });
    },
    onProgress: (n) => bar?.update(n),
  });
  bar?.finish();
  if (flags.json === true) {
    io.out.write(
      `${JSON.stringify({ version: json.version(result.version), file: out, resumedFromBytes: result.resumedFromBytes })}\n`,
    );
    return 0;
  }
  io.out.write(
    `pulled ${model} version ${result.version.number} to ${out} (${formatBytes(result.sizeBytes)}, ` +
      `sha256 ${result.sha256} verified` +
      (result.resumedFromBytes > 0
        ? `, resumed after ${formatBytes(result.resumedFromBytes)}`
        : '') +
      ')\n',
  );
  return 0;
}

async function newestVersion(client: RegistryClient, model: string): Promise<bigint> {
  const { versions } = await client.listVersions({ model, pageSize: 1 });
  if (versions.length === 0) throw new FailedPreconditionError(`${model} has no READY version yet`);
  return versions[0].number;
}
