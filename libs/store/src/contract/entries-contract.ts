import { beforeEach, describe, expect, it } from '@jest/globals';
import { bytes, expectConflict, text } from './contract-helpers';
import type { ContractContext } from './store-contract';

/** The Store contract: get, put with versions and compare-and-set, delete, and ordered scans. */
export function describeEntryContract(context: ContractContext): void {
  describe('entries', () => {
    it('starts versions at 1 and adds 1 on each put', async () => {
      expect(await context.store.get('model/a')).toBeUndefined();
      expect(await context.store.put('model/a', bytes('one'))).toBe(1);
      expect(await context.store.put('model/a', bytes('two'))).toBe(2);
      const entry = await context.store.get('model/a');
      expect(entry?.version).toBe(2);
      expect(text(entry!.value)).toBe('two');
    });

    it('writes with a matching expected version', async () => {
      await context.store.put('alias', bytes('v1'));
      expect(await context.store.put('alias', bytes('v2'), { expectedVersion: 1 })).toBe(2);
      expect(text((await context.store.get('alias'))!.value)).toBe('v2');
    });

    it('rejects a stale expected version with AbortedError and keeps the value', async () => {
      await context.store.put('alias', bytes('v1'));
      await context.store.put('alias', bytes('v2'));
      await expectConflict(
        context.store.put('alias', bytes('lost'), { expectedVersion: 1 }),
        'alias',
        1,
        2,
      );
      expect(await context.store.get('alias')).toEqual({ value: bytes('v2'), version: 2 });
    });

    it('creates with expected version 0 only when the key does not exist', async () => {
      expect(await context.store.put('fresh', bytes('first'), { expectedVersion: 0 })).toBe(1);
      await expectConflict(
        context.store.put('fresh', bytes('second'), { expectedVersion: 0 }),
        'fresh',
        0,
        1,
      );
      await expectConflict(
        context.store.put('absent', bytes('x'), { expectedVersion: 3 }),
        'absent',
        3,
        0,
      );
      expect(await context.store.get('absent')).toBeUndefined();
      expect(text((await context.store.get('fresh'))!.value)).toBe('first');
    });

    it('lets exactly one of many concurrent compare-and-sets win', async () => {
      const writers = await context.clients(4);
      await context.store.put('alias/production', bytes('v1'));
      const outcomes = await Promise.allSettled(
        Array.from({ length: 20 }, (_, i) =>
          writers[i % writers.length]!.put('alias/production', bytes(`candidate-${i}`), {
            expectedVersion: 1,
          }),
        ),
      );
      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(winners).toHaveLength(1);
      for (const outcome of outcomes) {
        if (outcome.status === 'rejected') {
          expect(outcome.reason).toMatchObject({
            code: 10,
            expectedVersion: 1,
            actualVersion: 2,
          });
        }
      }
      expect((await context.store.get('alias/production'))?.version).toBe(2);
    });

    it('deletes, with and without an expected version', async () => {
      expect(await context.store.delete('nothing')).toBe(false);
      expect(await context.store.delete('nothing', { expectedVersion: 0 })).toBe(false);
      await context.store.put('doomed', bytes('x'));
      await context.store.put('doomed', bytes('y'));
      await expectConflict(context.store.delete('doomed', { expectedVersion: 1 }), 'doomed', 1, 2);
      await expectConflict(context.store.delete('doomed', { expectedVersion: 0 }), 'doomed', 0, 2);
      expect((await context.store.get('doomed'))?.version).toBe(2);
      expect(await context.store.delete('doomed', { expectedVersion: 2 })).toBe(true);
      expect(await context.store.get('doomed')).toBeUndefined();
      await expectConflict(context.store.delete('doomed', { expectedVersion: 2 }), 'doomed', 2, 0);
      await context.store.put('plain', bytes('x'));
      expect(await context.store.delete('plain')).toBe(true);
      expect(await context.store.delete('plain')).toBe(false);
    });

    it('starts again at version 1 after a delete', async () => {
      await context.store.put('reborn', bytes('a'));
      await context.store.put('reborn', bytes('b'));
      await context.store.delete('reborn');
      expect(await context.store.put('reborn', bytes('c'), { expectedVersion: 0 })).toBe(1);
    });

    it('keeps its own copy of values', async () => {
      const value = bytes('original');
      await context.store.put('copy', value);
      value.fill(0);
      const read = (await context.store.get('copy'))!.value;
      expect(text(read)).toBe('original');
      read.fill(0);
      expect(text((await context.store.get('copy'))!.value)).toBe('original');
    });
  });

  describe('scan', () => {
    const keys = [
      'app/b',
      'b/x',
      'app/\u{1F600}',
      'app/a/nested',
      'apple',
      'app/\uFFFD',
      'ap',
      'app/é',
      'app/a',
    ];

    beforeEach(async () => {
      for (const key of keys) {
        await context.store.put(key, bytes(`value of ${key}`));
      }
    });

    it('lists keys with a prefix in UTF-8 byte order', async () => {
      const listed = await context.store.scan('app/');
      expect(listed.map((entry) => entry.key)).toEqual([
        'app/a',
        'app/a/nested',
        'app/b',
        'app/é',
        'app/\uFFFD',
        'app/\u{1F600}',
      ]);
      expect(
        listed.every(
          (entry) => text(entry.value) === `value of ${entry.key}` && entry.version === 1,
        ),
      ).toBe(true);
      expect((await context.store.scan('')).map((entry) => entry.key)).toEqual([
        'ap',
        'app/a',
        'app/a/nested',
        'app/b',
        'app/é',
        'app/\uFFFD',
        'app/\u{1F600}',
        'apple',
        'b/x',
      ]);
      expect(await context.store.scan('zzz')).toEqual([]);
    });

    it('pages with after and limit', async () => {
      const all = (await context.store.scan('app')).map((entry) => entry.key);
      const paged: string[] = [];
      let after: string | undefined;
      for (;;) {
        const page = await context.store.scan('app', { after, limit: 2 });
        paged.push(...page.map((entry) => entry.key));
        if (page.length < 2) {
          break;
        }
        after = page[page.length - 1]!.key;
      }
      expect(paged).toEqual(all);
      expect(
        (await context.store.scan('app/', { after: 'app/aa' })).map((entry) => entry.key)[0],
      ).toBe('app/b');
      expect(await context.store.scan('app/', { after: 'a' })).toHaveLength(6);
      expect(await context.store.scan('app/', { after: 'b' })).toEqual([]);
    });

    it('shows puts and deletes with their versions', async () => {
      await context.store.put('app/b', bytes('again'));
      await context.store.delete('app/a');
      const listed = await context.store.scan('app/', { limit: 2 });
      expect(listed).toEqual([
        { key: 'app/a/nested', value: bytes('value of app/a/nested'), version: 1 },
        { key: 'app/b', value: bytes('again'), version: 2 },
      ]);
    });
  });
}
