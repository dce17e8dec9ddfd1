import fc from 'fast-check';
import { z } from 'zod';
import { ConfigError, loadConfig } from './index';

const schema = z.object({
  grpc: z.object({ port: z.int().min(0).max(65535).default(50051) }).prefault({}),
});

function loadPort(raw: string): unknown {
  return loadConfig({ schema, env: { VERDICT_GRPC_PORT: raw }, prefix: 'VERDICT_' }).grpc.port;
}

describe('loadConfig properties', () => {
  it('reads any valid port string, with leading zeros or surrounding blanks, as its number', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 65535 }),
        fc.nat({ max: 3 }),
        fc.constantFrom('', ' ', '\t'),
        (port, zeros, blank) => {
          expect(loadPort(`${blank}${'0'.repeat(zeros)}${port}${blank}`)).toBe(port);
        },
      ),
    );
  });

  it('rejects any string that is not a decimal number, naming the variable and the value', () => {
    const notNumeric = fc
      .string({ minLength: 1 })
      .filter(
        (raw) => raw.trim() !== '' && !/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(raw.trim()),
      );
    fc.assert(
      fc.property(notNumeric, (raw) => {
        let error: unknown;
        try {
          loadPort(raw);
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(ConfigError);
        expect((error as ConfigError).message).toContain(
          `VERDICT_GRPC_PORT (env): expected integer 0..65535, got ${JSON.stringify(raw)}`,
        );
      }),
    );
  });

  it('rejects any integer outside 0..65535', () => {
    fc.assert(
      fc.property(fc.oneof(fc.integer({ max: -1 }), fc.integer({ min: 65536 })), (port) => {
        expect(() => loadPort(String(port))).toThrow(
          `VERDICT_GRPC_PORT (env): expected integer 0..65535, got "${port}"`,
        );
      }),
    );
  });
});
