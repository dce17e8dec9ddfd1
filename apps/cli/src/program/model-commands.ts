import type { Command } from 'commander';
import { modelCommand } from '../commands/model';
import { requireOptions } from './options';
import { forwardingSubcommand, group, type Register } from './program';

/** `verdict model push|pull|list|show|versions|promote|history`: the registry (docs/registry.md). */
export const registerModelCommands: Register = (program, context) => {
  const model = group(program, 'model', 'versioned models in the registry (docs/registry.md)');
  const sub = (name: string, description: string): Command =>
    forwardingSubcommand(model, context, 'registry', modelCommand, name, description);

  requireOptions(
    sub(
      'push',
      'create the model when missing, upload FILE as a new version (SHA-256 first, then streamed) and optionally point ALIAS at it; identical bytes return the existing version',
    )
      .argument('<file>', 'an ONNX model')
      .option('--name <name>', 'model name')
      .option('--team <team>', 'owning team')
      .option('--alias <alias>', 'point this alias at the new version')
      .option('--description <text>', "the model's description, when it is created"),
    'name',
    'team',
  );
  requireOptions(
    sub(
      'pull',
      'download a version (NAME alone: the newest) into FILE.part, resuming, and rename it to FILE once its SHA-256 matches',
    )
      .argument('<ref>', 'NAME, NAME@ALIAS or NAME:VERSION')
      .option('--out <file>', 'where to write it'),
    'out',
  );
  sub('list', 'models, optionally of one team').option('--team <team>', 'only this team');
  sub('show', "a model, its latest version's signature and its aliases").argument('<name>');
  sub('versions', 'every version of a model, archived ones included').argument('<name>');
  requireOptions(sub('promote', 'a deployment: move ALIAS to VERSION'), 'alias')
    .argument('<name>')
    .argument('<version>', 'a version number >= 1')
    .option('--alias <alias>', 'the alias to move');
  sub('history', 'alias moves, newest first')
    .argument('<name>')
    .option('--alias <alias>', 'only this alias');
};
