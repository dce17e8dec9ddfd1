/**
 * The static files of the dashboard, read once at start: the page scripts and stylesheet from
 * ./assets, and uPlot's dist files from node_modules (no CDN).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** A file served under /assets/. */
export interface Asset {
  readonly body: Buffer;
  readonly contentType: string;
}

const OWN_ASSETS: Readonly<Record<string, string>> = {
  'dashboard.css': 'text/css; charset=utf-8',
  'common.js': 'text/javascript; charset=utf-8',
  'list.js': 'text/javascript; charset=utf-8',
  'charts.js': 'text/javascript; charset=utf-8',
  'experiment-tables.js': 'text/javascript; charset=utf-8',
  'experiment.js': 'text/javascript; charset=utf-8',
};

const UPLOT_ASSETS: Readonly<Record<string, [string, string]>> = {
  'uPlot.iife.min.js': ['uplot/dist/uPlot.iife.min.js', 'text/javascript; charset=utf-8'],
  'uPlot.min.css': ['uplot/dist/uPlot.min.css', 'text/css; charset=utf-8'],
};

/**
 * Where the page scripts are: next to this module when it runs from source, and in the source
 * tree when it runs compiled from dist/ (tsc does not copy non-TypeScript files).
 */
export function defaultAssetsDir(): string {
  const candidates = [
    join(__dirname, 'assets'),
    join(__dirname, '..', '..', 'src', 'dashboard', 'assets'),
  ];
  return candidates.find((dir) => existsSync(join(dir, 'experiment.js'))) ?? candidates[0];
}

/** Reads every asset; fails when one is missing, so a broken install shows at start. */
export async function loadAssets(assetsDir: string): Promise<ReadonlyMap<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const [name, contentType] of Object.entries(OWN_ASSETS)) {
    assets.set(name, { body: await readFile(join(assetsDir, name)), contentType });
  }
  for (const [name, [module, contentType]] of Object.entries(UPLOT_ASSETS)) {
    assets.set(name, { body: await readFile(require.resolve(module)), contentType });
  }
  return assets;
}
