import { LOG_HEADER, RECORD_PREFIX_BYTES, decodeLog, encodeRecord } from './log-codec';
import type { Mutation } from './mutation';

const mutations: Mutation[] = [
  {
    kind: 'put',
    key: 'model/ä/\u{1F600}',
    version: 7,
    value: Uint8Array.from({ length: 256 }, (_, i) => i),
  },
  { kind: 'put', key: 'empty', version: 1, value: new Uint8Array(0) },
  { kind: 'delete', key: 'gone' },
  { kind: 'counter', key: 'sum', value: -0.1 },
  { kind: 'sortedAdd', set: 'board', member: 'm', score: 1e-300 },
  { kind: 'sortedRemove', set: 'board', member: 'm' },
  { kind: 'append', stream: 'events', sequence: 9007199254740991, entry: new Uint8Array([0, 255]) },
  { kind: 'offset', stream: 'events', consumer: 'c', offset: '00000000000000000003' },
];

function log(...records: Buffer[]): Buffer {
  return Buffer.concat([LOG_HEADER, ...records]);
}

function decodeAll(data: Buffer) {
  const decoded: Mutation[] = [];
  const result = decodeLog(data, (mutation) => decoded.push(mutation));
  return { decoded, ...result };
}

describe('store log format', () => {
  it('round-trips every kind of mutation', () => {
    const data = log(...mutations.map(encodeRecord));
    const { decoded, validBytes, problem } = decodeAll(data);
    expect(problem).toBeUndefined();
    expect(validBytes).toBe(data.byteLength);
    expect(decoded.map(normalise)).toEqual(mutations.map(normalise));
  });

  it('frames a record as length, CRC-32 and payload', () => {
    const record = encodeRecord({ kind: 'delete', key: 'k' });
    // kind (1) + string length (4) + "k" (1)
    expect(record.readUInt32LE(0)).toBe(6);
    expect(record.byteLength).toBe(RECORD_PREFIX_BYTES + 6);
    expect(record.subarray(RECORD_PREFIX_BYTES)).toEqual(Buffer.from([2, 1, 0, 0, 0, 0x6b]));
  });

  it('stops before a torn record', () => {
    const whole = encodeRecord(mutations[0]!);
    const torn = encodeRecord(mutations[2]!);
    for (const cut of [1, RECORD_PREFIX_BYTES - 1, RECORD_PREFIX_BYTES, torn.byteLength - 1]) {
      const { decoded, validBytes, problem } = decodeAll(log(whole, torn.subarray(0, cut)));
      expect(decoded).toHaveLength(1);
      expect(validBytes).toBe(LOG_HEADER.byteLength + whole.byteLength);
      expect(problem).toMatch(/incomplete|file ends first/);
    }
  });

  it('stops at a record whose checksum does not match', () => {
    const first = encodeRecord(mutations[0]!);
    const second = encodeRecord(mutations[3]!);
    second[second.byteLength - 1]! ^= 0x01;
    const { decoded, validBytes, problem } = decodeAll(
      log(first, second, encodeRecord(mutations[2]!)),
    );
    expect(decoded).toHaveLength(1);
    expect(validBytes).toBe(LOG_HEADER.byteLength + first.byteLength);
    expect(problem).toMatch(/checksum mismatch/);
  });

  it('refuses data that is not a store log', () => {
    expect(() => decodeLog(Buffer.from('{"not": "a log"}'), () => undefined)).toThrow(/bad header/);
  });
});

function normalise(mutation: Mutation) {
  return Object.fromEntries(
    Object.entries(mutation).map(([name, value]) => [
      name,
      value instanceof Uint8Array ? Array.from(value) : value,
    ]),
  );
}
