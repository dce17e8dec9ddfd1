import { InvalidArgumentError } from '@verdict/errors';
import {
  createSpamFeaturizer,
  fnv1a32,
  spamFeaturizerMetadata,
  spamFeaturizerOptionsFromMetadata,
  tokenizeSpamText,
} from './spam-featurizer';

describe('fnv1a32', () => {
  it('matches the published FNV-1a 32-bit test vectors', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });
});

describe('tokenizeSpamText', () => {
  it('lower-cases, keeps alphanumeric runs within the length limits and $ and ! on their own', () => {
    expect(tokenizeSpamText('WIN $1,000,000 now!!! a x1 Supercalifragilistic', 2, 10)).toEqual([
      'win',
      '$',
      '000',
      '000',
      'now',
      '!',
      '!',
      '!',
      'x1',
    ]);
  });
});

describe('createSpamFeaturizer', () => {
  const featurizer = createSpamFeaturizer({ buckets: 64 });

  it('puts log1p counts in the tokens hash buckets and scales the row to unit length', () => {
    const row = featurizer.featurize('spam spam eggs');
    const spam = fnv1a32('spam') % 64;
    const eggs = fnv1a32('eggs') % 64;
    expect(spam).not.toBe(eggs);
    const norm = Math.hypot(Math.log1p(2), Math.log1p(1));
    expect(row[spam]).toBeCloseTo(Math.log1p(2) / norm, 6);
    expect(row[eggs]).toBeCloseTo(Math.log1p(1) / norm, 6);
    expect(row.filter((value) => value !== 0)).toHaveLength(2);
  });

  it('gives an all-zero row for text without tokens', () => {
    expect(featurizer.featurize('. , ;').every((value) => value === 0)).toBe(true);
  });

  it('lays batches out row by row, equal to single rows, and agrees with the sparse form', () => {
    const texts = ['cheap meds!', 'meeting at noon', ''];
    const batch = featurizer.featurizeBatch(texts);
    expect(batch).toHaveLength(3 * 64);
    texts.forEach((text, i) => {
      const row = featurizer.featurize(text);
      expect(Array.from(batch.subarray(i * 64, (i + 1) * 64))).toEqual(Array.from(row));
      const sparse = featurizer.featurizeSparse(text);
      sparse.indices.forEach((bucket, k) => expect(row[bucket]).toBe(sparse.values[k]));
      expect(Array.from(sparse.indices)).toEqual([...sparse.indices].sort((a, b) => a - b));
    });
  });

  it('round-trips its settings through model metadata', () => {
    const metadata = spamFeaturizerMetadata(featurizer.options);
    expect(spamFeaturizerOptionsFromMetadata(metadata)).toEqual(featurizer.options);
    expect(() => spamFeaturizerOptionsFromMetadata({})).toThrow(InvalidArgumentError);
  });

  it('rejects a bucket count that is not a positive integer', () => {
    expect(() => createSpamFeaturizer({ buckets: 0 })).toThrow(/buckets/);
  });
});
