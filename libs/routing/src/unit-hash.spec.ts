import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { BUCKET_COUNT, unitBucket } from './unit-hash';

interface Vector {
  salt: string;
  unit: string;
  bucket: number;
}

const fixture = JSON.parse(
  readFileSync(join(__dirname, '../fixtures/hash-vectors.json'), 'utf8'),
) as { vectors: Vector[] };

describe('unitBucket', () => {
  it('matches the vectors computed with Python hashlib (fixtures/hash-vectors.json)', () => {
    expect(fixture.vectors.length).toBeGreaterThanOrEqual(10);
    for (const vector of fixture.vectors) {
      expect({ ...vector, bucket: unitBucket(vector.salt, vector.unit) }).toEqual(vector);
    }
  });

  it('is an integer bucket in [0, 10000) for any salt and unit', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'grapheme' }),
        fc.string({ unit: 'grapheme' }),
        (salt, unit) => {
          const bucket = unitBucket(salt, unit);
          return Number.isInteger(bucket) && bucket >= 0 && bucket < BUCKET_COUNT;
        },
      ),
    );
  });

  it('spreads units evenly over ten deciles of the buckets', () => {
    const deciles = new Array<number>(10).fill(0);
    for (let unit = 0; unit < 50_000; unit++) {
      deciles[Math.floor(unitBucket('spread', `user-${unit}`) / 1000)]++;
    }
    // 5,000 expected per decile; the binomial sd is about 67, so 400 is six sigmas.
    for (const count of deciles) expect(Math.abs(count - 5000)).toBeLessThan(400);
  });

  it('assigns independently under different salts', () => {
    let same = 0;
    for (let unit = 0; unit < 10_000; unit++) {
      if (unitBucket('a', `u${unit}`) < 5000 === unitBucket('b', `u${unit}`) < 5000) same++;
    }
    expect(Math.abs(same - 5000)).toBeLessThan(300);
  });
});
