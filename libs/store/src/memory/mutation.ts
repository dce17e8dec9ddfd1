/**
 * One change to the memory store's state, as applied in memory and as written to the log.
 * Every mutation sets an item to an absolute value (a put carries the resulting version, a
 * counter its resulting value, an append its sequence number), so replaying a mutation whose
 * effect is already present changes nothing. Compaction relies on that: a snapshot may already
 * contain records that are appended again after it.
 */
export type Mutation =
  | {
      readonly kind: 'put';
      readonly key: string;
      readonly version: number;
      readonly value: Uint8Array;
    }
  | { readonly kind: 'delete'; readonly key: string }
  | { readonly kind: 'counter'; readonly key: string; readonly value: number }
  | {
      readonly kind: 'sortedAdd';
      readonly set: string;
      readonly member: string;
      readonly score: number;
    }
  | { readonly kind: 'sortedRemove'; readonly set: string; readonly member: string }
  | {
      readonly kind: 'append';
      readonly stream: string;
      readonly sequence: number;
      readonly entry: Uint8Array;
    }
  | {
      readonly kind: 'offset';
      readonly stream: string;
      readonly consumer: string;
      readonly offset: string;
    };
