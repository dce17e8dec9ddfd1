import { beforeEach, describe, expect, it } from '@jest/globals';
import { bytes, text } from './contract-helpers';
import type { ContractContext } from './store-contract';

/** The Store contract: atomic counters and float sums, and sorted sets. */
export function describeCounterContract(context: ContractContext): void {
  describe('counters', () => {
    it('counts from 0 and returns the new value', async () => {
      expect(await context.store.getCounter('hits')).toBe(0);
      expect(await context.store.incrementBy('hits', 5)).toBe(5);
      expect(await context.store.incrementBy('hits', -2)).toBe(3);
      expect(await context.store.getCounter('hits')).toBe(3);
    });

    it('loses no update under 200 concurrent increments from several clients', async () => {
      const writers = await context.clients(4);
      const deltas = Array.from({ length: 200 }, (_, i) => (i % 3) + 1);
      const results = await Promise.all(
        deltas.map((delta, i) => writers[i % writers.length]!.incrementBy('requests', delta)),
      );
      const total = deltas.reduce((sum, delta) => sum + delta, 0);
      expect(await context.store.getCounter('requests')).toBe(total);
      // Each increment saw its own intermediate total: none was applied to a stale value.
      expect(new Set(results).size).toBe(200);
      expect(Math.max(...results)).toBe(total);
    });

    it('sums floats atomically', async () => {
      const writers = await context.clients(4);
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          writers[i % writers.length]!.incrementFloat('latency', 0.5),
        ),
      );
      expect(await context.store.getCounter('latency')).toBe(100);
      for (let i = 0; i < 10; i++) {
        await context.store.incrementFloat('tenths', 0.1);
      }
      expect(await context.store.getCounter('tenths')).toBeCloseTo(1, 9);
      expect(await context.store.incrementFloat('tenths', -1.5)).toBeCloseTo(-0.5, 9);
    });

    it('adds floats to an integer counter but no integer to a fractional sum', async () => {
      await context.store.incrementBy('mixed', 2);
      expect(await context.store.incrementFloat('mixed', 0.5)).toBe(2.5);
      await expect(context.store.incrementBy('mixed', 1)).rejects.toMatchObject({
        name: 'FailedPreconditionError',
        code: 9,
      });
      expect(await context.store.getCounter('mixed')).toBe(2.5);
    });

    it('keeps counters apart from entries, sorted sets and streams of the same name', async () => {
      await context.store.put('shared', bytes('entry'));
      await context.store.incrementBy('shared', 3);
      await context.store.sortedAdd('shared', 'member', 1);
      await context.store.append('shared', bytes('event'));
      expect(await context.store.get('shared')).toEqual({ value: bytes('entry'), version: 1 });
      expect(await context.store.getCounter('shared')).toBe(3);
      expect(await context.store.sortedRange('shared')).toEqual([{ member: 'member', score: 1 }]);
      expect((await context.store.read('shared')).map((record) => text(record.entry))).toEqual([
        'event',
      ]);
      expect(await context.store.scan('')).toHaveLength(1);
    });
  });

  describe('sorted sets', () => {
    beforeEach(async () => {
      for (const [member, score] of [
        ['a', 3],
        ['b', 1],
        ['c', 2],
        ['d', 2],
        ['e', 5],
        ['f', -1.25],
      ] as const) {
        await context.store.sortedAdd('board', member, score);
      }
    });

    const members = (list: { member: string }[]) => list.map((item) => item.member);

    it('ranges by score, ties in member order, with bounds, limit and reverse', async () => {
      expect(await context.store.sortedRange('board')).toEqual([
        { member: 'f', score: -1.25 },
        { member: 'b', score: 1 },
        { member: 'c', score: 2 },
        { member: 'd', score: 2 },
        { member: 'a', score: 3 },
        { member: 'e', score: 5 },
      ]);
      expect(members(await context.store.sortedRange('board', { min: 2, max: 3 }))).toEqual([
        'c',
        'd',
        'a',
      ]);
      expect(members(await context.store.sortedRange('board', { min: 1.5 }))).toEqual([
        'c',
        'd',
        'a',
        'e',
      ]);
      expect(members(await context.store.sortedRange('board', { max: 1 }))).toEqual(['f', 'b']);
      expect(members(await context.store.sortedRange('board', { limit: 2 }))).toEqual(['f', 'b']);
      expect(members(await context.store.sortedRange('board', { reverse: true }))).toEqual([
        'e',
        'a',
        'd',
        'c',
        'b',
        'f',
      ]);
      expect(
        members(await context.store.sortedRange('board', { reverse: true, limit: 2 })),
      ).toEqual(['e', 'a']);
      expect(
        members(await context.store.sortedRange('board', { reverse: true, min: 2, max: 3 })),
      ).toEqual(['a', 'd', 'c']);
      expect(await context.store.sortedRange('board', { min: 4, max: 3 })).toEqual([]);
      expect(await context.store.sortedRange('missing')).toEqual([]);
    });

    it('moves a member on a new score and removes members', async () => {
      await context.store.sortedAdd('board', 'b', 10);
      await context.store.sortedAdd('board', 'c', 0.1);
      expect(await context.store.sortedRange('board', { reverse: true, limit: 1 })).toEqual([
        { member: 'b', score: 10 },
      ]);
      expect(await context.store.sortedRange('board', { min: 0, max: 1 })).toEqual([
        { member: 'c', score: 0.1 },
      ]);
      expect(await context.store.sortedRemove('board', 'c')).toBe(true);
      expect(await context.store.sortedRemove('board', 'c')).toBe(false);
      expect(members(await context.store.sortedRange('board'))).toEqual(['f', 'd', 'a', 'e', 'b']);
    });
  });
}
