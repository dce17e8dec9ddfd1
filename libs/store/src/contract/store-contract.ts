import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import type { Store } from '../store';
import { allBytes, bytes, expectInvalid, record, text } from './contract-helpers';
import { describeCounterContract } from './counters-contract';
import { describeEntryContract } from './entries-contract';
import { describeMessagingContract } from './messaging-contract';
import { describeModelProperty } from './model-property';

/** What a backend's spec hands to {@link describeStoreContract} for each test. */
export interface StoreFixture {
  /** A store on fresh, empty data. */
  readonly store: Store;
  /**
   * Opens another client on the same data (e.g. a second Redis connection), to show that
   * concurrent clients lose no update; the contract closes it. A backend without separate
   * clients returns `store` itself.
   * @default none (all calls go through `store`)
   */
  connect?(): Promise<Store>;
  /**
   * Closes the current store and opens a new one on the same data (a process restart).
   * Required when the contract runs with `durable: true`.
   */
  restart?(): Promise<Store>;
  /** Closes whatever is still open (the latest store included) and removes temporary data. */
  dispose(): Promise<void>;
}

/** What the parts of the contract get to reach the running test's store. */
export interface ContractContext {
  /** The store of the running test. */
  readonly store: Store;
  /** `count` clients on the running test's data, the first being `store`. */
  clients(count: number): Promise<Store[]>;
}

/** Options of {@link describeStoreContract}. */
export interface StoreContractOptions {
  /**
   * The backend keeps its data across `restart()`: run the restart tests.
   * @default false
   */
  durable?: boolean;
  /**
   * Random command sequences tried by the model-based property test.
   * @default 15
   */
  propertyRuns?: number;
}

/**
 * Registers the Store contract as a jest `describe` block: every backend must pass it. `open`
 * is called before each test and must give a store on empty data.
 */
export function describeStoreContract(
  name: string,
  open: () => Promise<StoreFixture>,
  options: StoreContractOptions = {},
): void {
  describe(`${name} (Store contract)`, () => {
    let fixture: StoreFixture;
    let store: Store;
    let clients: Store[];

    beforeEach(async () => {
      fixture = await open();
      store = fixture.store;
      clients = [];
    });

    afterEach(async () => {
      for (const client of clients) {
        await client.close();
      }
      await fixture.dispose();
    });

    async function connect(count: number): Promise<Store[]> {
      const opened: Store[] = [store];
      for (let i = 1; i < count; i++) {
        const client = fixture.connect ? await fixture.connect() : store;
        if (client !== store) {
          clients.push(client);
        }
        opened.push(client);
      }
      return opened;
    }

    const context: ContractContext = {
      get store() {
        return store;
      },
      clients: connect,
    };
    describeEntryContract(context);
    describeCounterContract(context);
    describeMessagingContract(context);

    it('round-trips every byte value through entries, scans, streams and messages', async () => {
      const every = allBytes();
      const reversed = every.slice().reverse();
      const framed = new Uint8Array(300);
      framed.set(every, 20);
      const view = framed.subarray(20, 276);
      await store.put('binary', every);
      await store.put('binary/view', view);
      await store.put('binary/empty', new Uint8Array(0));
      expect((await store.get('binary'))!.value).toEqual(every);
      expect((await store.get('binary/view'))!.value).toEqual(every);
      expect((await store.get('binary/empty'))!.value).toEqual(new Uint8Array(0));
      expect((await store.scan('binary')).map((entry) => entry.value)).toEqual([
        every,
        new Uint8Array(0),
        every,
      ]);
      await store.append('binary', reversed);
      expect((await store.read('binary'))[0]!.entry).toEqual(reversed);
      const received = await record(store, 'binary');
      await store.publish('binary', view);
      await received.waitFor(1);
      expect(received.messages[0]).toEqual(every);
    });

    it('rejects invalid arguments, naming them, and changes nothing', async () => {
      await store.put('k', bytes('v'));
      await store.incrementBy('c', 5);
      await store.sortedAdd('z', 'm', 1);
      const offset = await store.append('s', bytes('e'));
      const value = bytes('x');
      const cases: Array<[() => Promise<unknown>, string]> = [
        [() => store.get(''), 'key'],
        [() => store.put('', value), 'key'],
        [() => store.put('\uD800', value), 'key'],
        [() => store.put('k', 'text' as unknown as Uint8Array), 'value'],
        [() => store.put('k', value, { expectedVersion: -1 }), 'options.expectedVersion'],
        [() => store.put('k', value, { expectedVersion: 1.5 }), 'options.expectedVersion'],
        [() => store.delete('k', { expectedVersion: Number.NaN }), 'options.expectedVersion'],
        [() => store.delete(42 as unknown as string), 'key'],
        [() => store.incrementBy('c', 1.5), 'delta'],
        [() => store.incrementBy('c', Number.NaN), 'delta'],
        [() => store.incrementFloat('c', Number.POSITIVE_INFINITY), 'delta'],
        [() => store.getCounter(''), 'key'],
        [() => store.scan(5 as unknown as string), 'prefix'],
        [() => store.scan('', { limit: 0 }), 'options.limit'],
        [() => store.scan('', { after: '\uDC00' }), 'options.after'],
        [() => store.sortedAdd('', 'm', 1), 'set'],
        [() => store.sortedAdd('z', '', 1), 'member'],
        [() => store.sortedAdd('z', 'm', Number.NaN), 'score'],
        [() => store.sortedRange('z', { limit: -1 }), 'options.limit'],
        [() => store.sortedRange('z', { min: Number.NaN }), 'options.min'],
        [() => store.sortedRemove('z', ''), 'member'],
        [() => store.publish('', value), 'channel'],
        [() => store.publish('ch', [1, 2] as unknown as Uint8Array), 'message'],
        [() => store.subscribe('', () => undefined), 'channel'],
        [() => store.subscribe('ch', 'handler' as unknown as () => void), 'handler'],
        [() => store.append('', value), 'stream'],
        [() => store.append('s', null as unknown as Uint8Array), 'entry'],
        [() => store.read('s', { after: 'abc' }), 'options.after'],
        [() => store.read('s', { after: '1' }), 'options.after'],
        [() => store.read('s', { limit: 1.5 }), 'options.limit'],
        [() => store.commitOffset('s', '', offset), 'consumer'],
        [() => store.commitOffset('s', 'c', '12'), 'offset'],
        [() => store.getOffset('', 'c'), 'stream'],
      ];
      for (const [call, field] of cases) {
        await expectInvalid(call(), field);
      }
      expect(await store.get('k')).toEqual({ value: bytes('v'), version: 1 });
      expect(await store.scan('')).toHaveLength(1);
      expect(await store.getCounter('c')).toBe(5);
      expect(await store.sortedRange('z')).toEqual([{ member: 'm', score: 1 }]);
      expect(await store.read('s')).toHaveLength(1);
      expect(await store.getOffset('s', 'c')).toBeUndefined();
    });

    it('refuses calls after close', async () => {
      await store.close();
      await store.close();
      await expect(store.get('k')).rejects.toMatchObject({ name: 'FailedPreconditionError' });
      await expect(store.put('k', bytes('v'))).rejects.toMatchObject({
        name: 'FailedPreconditionError',
      });
    });

    if (options.durable === true) {
      describe('after a restart', () => {
        it('keeps entries, versions, counters, sorted sets, streams and consumer offsets', async () => {
          await store.put('model/a', bytes('a1'));
          await store.put('model/a', bytes('a2'));
          await store.put('model/gone', bytes('x'));
          await store.delete('model/gone');
          await store.put('model/binary', allBytes());
          await store.incrementBy('count', 7);
          await store.incrementFloat('sum', 0.25);
          await store.incrementFloat('sum', 0.5);
          await store.sortedAdd('ranking', 'x', 1);
          await store.sortedAdd('ranking', 'y', 2);
          await store.sortedAdd('ranking', 'z', 3);
          await store.sortedRemove('ranking', 'x');
          const offsets = [
            await store.append('events', bytes('e1')),
            await store.append('events', bytes('e2')),
            await store.append('events', bytes('e3')),
          ];
          await store.commitOffset('events', 'analyzer', offsets[1]!);

          expect(fixture.restart).toBeDefined();
          store = await fixture.restart!();

          expect(await store.get('model/a')).toEqual({ value: bytes('a2'), version: 2 });
          expect(await store.get('model/gone')).toBeUndefined();
          expect((await store.get('model/binary'))!.value).toEqual(allBytes());
          expect((await store.scan('model/')).map((entry) => entry.key)).toEqual([
            'model/a',
            'model/binary',
          ]);
          expect(await store.getCounter('count')).toBe(7);
          expect(await store.getCounter('sum')).toBe(0.75);
          expect(await store.sortedRange('ranking')).toEqual([
            { member: 'y', score: 2 },
            { member: 'z', score: 3 },
          ]);
          expect(await store.read('events')).toEqual([
            { offset: offsets[0], entry: bytes('e1') },
            { offset: offsets[1], entry: bytes('e2') },
            { offset: offsets[2], entry: bytes('e3') },
          ]);

          // Consumption resumes from the committed offset.
          const committed = await store.getOffset('events', 'analyzer');
          expect(committed).toBe(offsets[1]);
          expect(
            (await store.read('events', { after: committed })).map((item) => text(item.entry)),
          ).toEqual(['e3']);

          // Versions, counters and offsets continue where they were.
          expect(await store.put('model/a', bytes('a3'), { expectedVersion: 2 })).toBe(3);
          expect(await store.incrementBy('count', 1)).toBe(8);
          const next = await store.append('events', bytes('e4'));
          expect(next > offsets[2]!).toBe(true);
          expect(
            (await store.read('events', { after: committed })).map((item) => text(item.entry)),
          ).toEqual(['e3', 'e4']);
        });
      });
    }

    describeModelProperty(() => open(), options);
  });
}
