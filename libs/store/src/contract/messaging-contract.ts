import { describe, expect, it } from '@jest/globals';
import { bytes, record, text } from './contract-helpers';
import type { ContractContext } from './store-contract';

/** The Store contract: publish/subscribe and append-only streams with consumer offsets. */
export function describeMessagingContract(context: ContractContext): void {
  describe('publish/subscribe', () => {
    it('delivers messages in order to every subscriber, also across clients', async () => {
      const [, other] = await context.clients(2);
      const first = await record(context.store, 'events');
      const second = await record(other!, 'events');
      await other!.publish('events', bytes('one'));
      await context.store.publish('events', bytes('two'));
      await first.waitFor(2);
      await second.waitFor(2);
      expect(first.messages.map(text)).toEqual(['one', 'two']);
      expect(second.messages.map(text)).toEqual(['one', 'two']);
    });

    it('stops delivery on unsubscribe and keeps channels apart', async () => {
      const gone = await record(context.store, 'a');
      const stays = await record(context.store, 'b');
      const twice = await record(context.store, 'b');
      await gone.unsubscribe();
      await gone.unsubscribe();
      await twice.unsubscribe();
      await context.store.publish('a', bytes('to nobody'));
      await context.store.publish('b', bytes('to b'));
      await stays.waitFor(1);
      // Messages on one connection arrive in order, so 'a' would have come before 'b'.
      expect(gone.messages).toEqual([]);
      expect(twice.messages).toEqual([]);
      expect(stays.messages.map(text)).toEqual(['to b']);
      await context.store.publish('nobody-listens', bytes('lost'));
    });

    it('keeps delivering after a handler throws', async () => {
      await context.store.subscribe('fragile', () => {
        throw new Error('handler failure');
      });
      const healthy = await record(context.store, 'fragile');
      await context.store.publish('fragile', bytes('1'));
      await context.store.publish('fragile', bytes('2'));
      await healthy.waitFor(2);
      expect(healthy.messages.map(text)).toEqual(['1', '2']);
    });
  });

  describe('streams', () => {
    it('appends with offsets that sort in append order and reads after an offset', async () => {
      const offsets: string[] = [];
      for (let i = 0; i < 5; i++) {
        offsets.push(await context.store.append('events', bytes(`e${i}`)));
      }
      await context.store.append('other', bytes('elsewhere'));
      expect(offsets[0]).toBe('00000000000000000001');
      expect(offsets.every((offset) => /^[0-9]{20}$/.test(offset))).toBe(true);
      expect([...offsets].sort()).toEqual(offsets);
      expect(new Set(offsets).size).toBe(5);
      const all = await context.store.read('events');
      expect(all.map((item) => item.offset)).toEqual(offsets);
      expect(all.map((item) => text(item.entry))).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
      expect(
        (await context.store.read('events', { after: offsets[1] })).map((item) => text(item.entry)),
      ).toEqual(['e2', 'e3', 'e4']);
      expect(
        (await context.store.read('events', { after: offsets[1], limit: 2 })).map(
          (item) => item.offset,
        ),
      ).toEqual(offsets.slice(2, 4));
      expect(await context.store.read('events', { limit: 1 })).toHaveLength(1);
      expect(await context.store.read('events', { after: offsets[4] })).toEqual([]);
      expect(await context.store.read('events', { after: '00000000000000000000' })).toHaveLength(5);
      expect(await context.store.read('missing')).toEqual([]);
    });

    it('remembers consumer offsets', async () => {
      const first = await context.store.append('jobs', bytes('a'));
      const second = await context.store.append('jobs', bytes('b'));
      expect(await context.store.getOffset('jobs', 'worker')).toBeUndefined();
      await context.store.commitOffset('jobs', 'worker', second);
      await context.store.commitOffset('jobs', 'auditor', first);
      expect(await context.store.getOffset('jobs', 'worker')).toBe(second);
      expect(await context.store.getOffset('jobs', 'auditor')).toBe(first);
      expect(await context.store.getOffset('other', 'worker')).toBeUndefined();
      await context.store.commitOffset('jobs', 'worker', first);
      expect(await context.store.getOffset('jobs', 'worker')).toBe(first);
    });
  });
}
