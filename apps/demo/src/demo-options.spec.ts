import type { CliEnvironment } from '@verdict/cli/environment';
import { demoOptions, DemoUsageError } from './demo-options';

/** The addresses and certificate folder a CLI environment would give. */
const environment: CliEnvironment = {
  home: { found: true, home: '/repo/.verdict', source: 'test' },
  writableHome: '/repo/.verdict',
  address: (service) => (service === 'router' ? '10.0.0.1:50051' : '10.0.0.4:50054'),
  pkiDir: (flag) => flag ?? '/repo/.verdict/pki',
  stateFile: () => undefined,
};

describe('npm run demo arguments', () => {
  it('answers --help instead of starting', () => {
    expect(demoOptions(['--help'], environment)).toBe('help');
  });

  it('takes addresses and the certificate from the environment unless given', () => {
    expect(demoOptions([], environment)).toEqual({
      router: '10.0.0.1:50051',
      analyzer: '10.0.0.4:50054',
      pkiDir: '/repo/.verdict/pki',
      users: 500,
      concurrency: 16,
      outcomeDelayMs: 2000,
    });
    expect(demoOptions(['--router', 'r:1', '--pki', 'p'], environment)).toMatchObject({
      router: 'r:1',
      pkiDir: 'p',
    });
  });

  it('names an unknown option or a bad number in one line', () => {
    expect(() => demoOptions(['--userz', '3'], environment)).toThrow(
      new DemoUsageError('unknown option --userz (see --help)'),
    );
    expect(() => demoOptions(['--users', 'many'], environment)).toThrow(
      '--users: expected a positive integer, got "many"',
    );
  });
});
