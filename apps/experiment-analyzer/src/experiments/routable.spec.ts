import { InvalidArgumentError } from '@verdict/errors';
import { spamAb } from '../testing/analyzer-fixture';
import { checkRoutable } from './routable';

const POOLS = [{ name: 'default', region: 'local', endpoints: ['127.0.0.1:50052'] }];

describe('checkRoutable', () => {
  it('accepts what validation accepts', () => {
    expect(() => checkRoutable(spamAb(), POOLS)).not.toThrow();
  });

  it("names the experiment's own field when the routers' compiler refuses its route", () => {
    // Validation stops these first; here the compiler is asked directly.
    const twins = spamAb();
    twins.variants[1]!.name = 'control';
    const noPool = spamAb();
    noPool.variants[1]!.pool = 'gpu';
    for (const [experiment, field] of [
      [twins, 'experiment.variants[1].name'],
      [noPool, 'experiment.variants[1].pool'],
    ] as const) {
      const error = (() => {
        try {
          checkRoutable(experiment, POOLS);
          return undefined;
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(InvalidArgumentError);
      expect((error as InvalidArgumentError).field).toBe(field);
      expect((error as InvalidArgumentError).message).toMatch(/as routers read/);
    }
  });
});
