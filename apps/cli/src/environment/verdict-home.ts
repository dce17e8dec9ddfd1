import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** The state folder `verdict dev` and `verdict pki init` write: pki/, data/, policy.yaml. */
export const STATE_FOLDER = '.verdict';

/** Where a command looks for the state folder, in order. */
export interface HomeSearchOptions {
  /** `VERDICT_HOME`: the state folder itself; wins when set. */
  verdictHome?: string;
  /** The working directory; `.verdict` is looked for here and in every folder above. */
  cwd: string;
  /** The CLI's own folder; `.verdict` above it is the repository's when the CLI runs from a checkout. */
  cliDir?: string;
}

/** The state folder found, or every place that was looked at. */
export type HomeSearch =
  { found: true; home: string; source: string } | { found: false; searched: string[] };

/** `dir` and every folder above it, nearest first. */
export function ancestors(dir: string): string[] {
  const all: string[] = [];
  for (let current = resolve(dir); ; current = dirname(current)) {
    all.push(current);
    if (dirname(current) === current) return all;
  }
}

const isDirectory = (path: string) => existsSync(path) && statSync(path).isDirectory();

/**
 * Finds the state folder: `VERDICT_HOME` when set, else the nearest `.verdict` folder above the
 * working directory, else the nearest above the CLI's own location (so `npm run` scripts, which
 * run inside a workspace folder, and a CLI called from `/tmp` both find the repository's).
 */
export function findVerdictHome(options: HomeSearchOptions): HomeSearch {
  if (options.verdictHome !== undefined && options.verdictHome !== '') {
    return { found: true, home: resolve(options.cwd, options.verdictHome), source: 'VERDICT_HOME' };
  }
  const searched: string[] = [];
  const starts: Array<[string, string | undefined]> = [
    ['the working directory', options.cwd],
    ["the CLI's location", options.cliDir],
  ];
  for (const [label, start] of starts) {
    if (start === undefined) continue;
    for (const dir of ancestors(start)) {
      const candidate = join(dir, STATE_FOLDER);
      if (isDirectory(candidate)) return { found: true, home: candidate, source: `above ${label}` };
      searched.push(candidate);
    }
  }
  return { found: false, searched: [...new Set(searched)] };
}

/** The checkout the CLI runs from: the nearest folder above `cliDir` whose package.json is the monorepo's. */
export function repositoryRoot(cliDir: string): string | undefined {
  return ancestors(cliDir).find((dir) => {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) return false;
    return (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'verdict';
  });
}

/**
 * Where `verdict dev` and `verdict pki init` write when no folder is given: the state folder
 * found, else the repository's `.verdict` (a fresh clone has none yet), else `./.verdict`.
 */
export function homeForWriting(search: HomeSearch, options: HomeSearchOptions): string {
  if (search.found) return search.home;
  const root = options.cliDir === undefined ? undefined : repositoryRoot(options.cliDir);
  return join(root ?? options.cwd, STATE_FOLDER);
}
