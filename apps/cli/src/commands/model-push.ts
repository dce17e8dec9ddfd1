import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { Code, InvalidArgumentError } from '@verdict/errors';
import type { ModelFlags, ModelIo } from './model';
import { rpcCodeOf, type RegistryClient } from './model-client';
import { json } from './model-format';
import { createProgressBar, formatBytes } from './model-progress';
import { hashFile, uploadFile } from './model-transfer';

/**
 * `verdict model push FILE --name --team [--alias] [--description]`. The registry wants the
 * digest in the upload's header, so the file is read twice: once to hash it, once to send it,
 * each time in chunks.
 */
export async function pushCommand(
  client: RegistryClient,
  [file]: string[],
  flags: ModelFlags,
  io: ModelIo,
): Promise<number> {
  if (flags.name === undefined || flags.team === undefined) {
    io.err.write('verdict model push: needs FILE, --name NAME and --team TEAM\n');
    return 2;
  }
  const name = flags.name;
  const exists = await modelExists(client, name, flags.team);

  const { size } = await stat(file);
  const hashing = createProgressBar({ stream: io.err, label: 'sha256', totalBytes: size });
  const { sha256, sizeBytes } = await hashFile(file, { onProgress: (n) => hashing.update(n) });
  hashing.finish();

  const uploading = createProgressBar({
    stream: io.err,
    label: `push ${name}`,
    totalBytes: sizeBytes,
  });
  const { version, created } = await uploadFile(client, file, {
    model: name,
    sha256,
    sizeBytes,
    metadata: { source_file: basename(file) },
    // A new model is created by the upload itself, so a refused file leaves no empty model.
    ...(exists ? {} : { createTeam: flags.team, createDescription: flags.description ?? '' }),
    onProgress: (n) => uploading.update(n),
  });
  uploading.finish();
  if (!exists) io.err.write(`created model ${name} (team ${flags.team})\n`);

  const moved =
    flags.alias === undefined
      ? undefined
      : await client.setAlias({ model: name, alias: flags.alias, version: version!.number });
  if (flags.json === true) {
    io.out.write(
      `${JSON.stringify({
        version: json.version(version!),
        created,
        ...(moved ? { alias: json.alias(moved.alias!), move: json.move(moved.move!) } : {}),
      })}\n`,
    );
    return 0;
  }
  io.out.write(
    `${created ? 'pushed' : 'already stored as'} ${name} version ${version!.number} ` +
      `(${formatBytes(sizeBytes)}, sha256 ${sha256})\n`,
  );
  if (moved) {
    const from = moved.move!.fromVersion;
    io.out.write(
      `${name}@${flags.alias}: ${from === 0n ? '(new)' : from} -> ${moved.move!.toVersion} (revision ${moved.move!.revision})\n`,
    );
  }
  return 0;
}

/** Whether the model exists; refuses to push into a model another team owns. */
async function modelExists(client: RegistryClient, name: string, team: string): Promise<boolean> {
  try {
    const { model } = await client.getModel({ name });
    if (model!.team !== team) {
      throw new InvalidArgumentError({
        field: '--team',
        expected: `${model!.team} (the team that owns ${name})`,
        received: team,
      });
    }
    return true;
  } catch (error) {
    if (rpcCodeOf(error) !== Code.NOT_FOUND) throw error;
    return false;
  }
}
