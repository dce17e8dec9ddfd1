import fc from 'fast-check';
import { z } from 'zod';
import { auditConfigSchema, hasAuditConfig } from './audit-config';

const parse = (value: unknown) => z.object({ audit: auditConfigSchema.prefault({}) }).parse(value);

describe('auditConfigSchema', () => {
  it('fills the flush wait and leaves the address unset by default', () => {
    expect(parse({})).toEqual({ audit: { flushOnStopMs: 5000 } });
  });

  it('refuses an empty address and a negative wait, naming the field', () => {
    expect(() => parse({ audit: { address: '' } })).toThrow(/address/);
    expect(() => parse({ audit: { flushOnStopMs: -1 } })).toThrow(/flushOnStopMs/);
  });
});

describe('hasAuditConfig', () => {
  it('is true for every configuration the schema parses', () => {
    fc.assert(
      fc.property(
        fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
        fc.nat(),
        (address, flushOnStopMs) => hasAuditConfig(parse({ audit: { address, flushOnStopMs } })),
      ),
    );
  });

  it('is false without an audit section or with another service-owned one', () => {
    expect(hasAuditConfig({})).toBe(false);
    expect(hasAuditConfig({ audit: null })).toBe(false);
    expect(hasAuditConfig({ audit: { origin: 'verdict.local/audit', maxSegmentBytes: 1 } })).toBe(
      false,
    );
  });
});
