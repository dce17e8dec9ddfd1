import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** A command as the documentation shows it, with where. */
export interface DocumentedCommand {
  /** The command, comments cut, continuation lines joined, spaces collapsed. */
  readonly text: string;
  /** `docs/cli.md:42`. */
  readonly where: string;
}

/** Code blocks whose lines are commands a reader types; `text`, `yaml` and the like are not. */
const SHELL_BLOCKS = new Set(['sh', 'bash', 'shell', 'console']);

/** README.md and every page of docs/, as the test reads them. */
export function documentationFiles(repo: string): string[] {
  const docs = readdirSync(join(repo, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => join('docs', name));
  return ['README.md', ...docs];
}

/**
 * Every command in the shell code blocks of `file`: a line ending in `\` continues on the next,
 * a `#` after whitespace starts a comment, and a line that is only a comment is none.
 */
export function commandsIn(repo: string, file: string): DocumentedCommand[] {
  const lines = readFileSync(join(repo, file), 'utf8').split('\n');
  const commands: DocumentedCommand[] = [];
  let inShellBlock = false;
  let inOtherBlock = false;
  let pending: { text: string; line: number } | undefined;
  lines.forEach((raw, index) => {
    const fence = /^\s*```\s*([\w-]*)/.exec(raw);
    if (fence !== null) {
      if (inShellBlock || inOtherBlock) {
        inShellBlock = inOtherBlock = false;
      } else if (SHELL_BLOCKS.has(fence[1])) {
        inShellBlock = true;
      } else {
        inOtherBlock = true;
      }
      return;
    }
    if (!inShellBlock) return;
    const code = raw.replace(/(^|\s)#\s.*$/, '').trimEnd();
    const start = pending ?? { text: '', line: index + 1 };
    const continued = code.endsWith('\\');
    const text = `${start.text} ${continued ? code.slice(0, -1) : code}`;
    if (continued) {
      pending = { text, line: start.line };
      return;
    }
    pending = undefined;
    const command = text.replace(/\s+/g, ' ').trim();
    if (command !== '') commands.push({ text: command, where: `${file}:${start.line}` });
  });
  return commands;
}

/** Every command in README.md and docs/*.md. */
export function documentedCommands(repo: string): DocumentedCommand[] {
  return documentationFiles(repo).flatMap((file) => commandsIn(repo, file));
}
