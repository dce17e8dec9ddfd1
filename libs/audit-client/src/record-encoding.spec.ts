import { generateKeyPairSync } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { auditV1 } from '@verdict/proto';
import fc from 'fast-check';
import { leafHash } from './merkle-hash';
import {
  decodeRecord,
  encodeRecord,
  encodeRecordInto,
  maxEncodedRecordBytes,
} from './record-encoding';
import {
  createNoteSigner,
  formatCheckpoint,
  openCheckpoint,
  parseVerifierKey,
} from './signed-note';

const record = () =>
  create(auditV1.RecordSchema, {
    id: 'r1',
    time: { seconds: 1_700_000_000n, nanos: 5 },
    actor: 'spiffe://verdict.local/ns/default/sa/registry',
    action: 'alias.move',
    resource: 'model/spam',
    outcome: auditV1.Outcome.SUCCESS,
    details: { to: '2', from: '1', ü: 'x' },
    serving: { model: 'spam', latencyUs: 12n, inputBytes: 3n, statusCode: -1 },
  });

describe('canonical record encoding', () => {
  it('round-trips and does not depend on the order details were set in', () => {
    const a = record();
    const b = record();
    b.details = { ü: 'x', from: '1', to: '2' };
    expect(encodeRecord(a).equals(encodeRecord(b))).toBe(true);
    expect(encodeRecord(decodeRecord(encodeRecord(a))).equals(encodeRecord(a))).toBe(true);
    expect(decodeRecord(encodeRecord(a)).serving?.statusCode).toBe(-1);
  });

  it('refuses bytes that are not canonical', () => {
    const bytes = encodeRecord(record());
    expect(() => decodeRecord(Buffer.concat([bytes, Buffer.from([0])]))).toThrow(/trailing/);
    expect(() => decodeRecord(bytes.subarray(0, bytes.length - 1))).toThrow(/not canonical/);
    expect(() => encodeRecord(create(auditV1.RecordSchema, { id: 'x' }))).toThrow(/time/);
  });
});

/** Records whose bytes were fixed when encoding version 1 shipped: they must never change. */
const KNOWN_ANSWERS = [
  {
    record: create(auditV1.RecordSchema, {
      id: 'kat-1',
      time: { seconds: -62135596800n, nanos: 999_999_999 },
      actor: 'spiffe://verdict.local/ns/default/sa/router',
      action: 'inference.request',
      resource: 'model/spam/version/3',
      outcome: auditV1.Outcome.SUCCESS,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      serving: {
        model: 'spam',
        version: '3',
        experiment: 'exp-1',
        variant: 'b',
        latencyUs: 18446744073709551615n,
        statusCode: -14,
        inputSha256: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
        inputBytes: 2048n,
        unitHash: 'k:9f',
        requestId: 'req-7',
      },
    }),
    hex: '01000000056b61742d31fffffff1886e09003b9ac9ff0000002b7370696666653a2f2f766572646963742e6c6f63616c2f6e732f64656661756c742f73612f726f7574657200000011696e666572656e63652e72657175657374000000146d6f64656c2f7370616d2f76657273696f6e2f33010000002030616637363531393136636434336464383434386562323131633830333139630000000001000000047370616d0000000133000000056578702d310000000162fffffffffffffffffffffff200000040653362306334343239386663316331343961666266346338393936666239323432376165343165343634396239333463613439353939316237383532623835350000000000000800000000046b3a3966000000057265712d37',
    leaf: 'de7b1d211918622fb7b97fa018cf60c0c900aca77b094b6421ae12e0bdfe3367',
  },
  {
    record: create(auditV1.RecordSchema, {
      id: 'kat-2 é',
      time: { seconds: 1_700_000_000n, nanos: 0 },
      actor: 'user:ålice',
      action: 'alias.move',
      resource: 'model/spam',
      outcome: auditV1.Outcome.DENIED,
      details: { z: '1', a: '😀', é: 'x\u0000y', B: '' },
    }),
    hex: '01000000086b61742d3220c3a9000000006553f100000000000000000b757365723ac3a56c6963650000000a616c6961732e6d6f76650000000a6d6f64656c2f7370616d030000000000000004000000014200000000000000016100000004f09f9880000000017a000000013100000002c3a90000000378007900',
    leaf: 'be8f1bcebcbf85fe91978e8ed758e27b32d6df7fd0f1de2df6674fc7ac9d141c',
  },
];

/** The documented layout written the plain way, apart from the optimised encoder, to check it against. */
function referenceEncoding(record: auditV1.Record): Buffer {
  const parts: Buffer[] = [];
  const u32 = (value: number) =>
    parts.push(Buffer.from([value >>> 24, (value >>> 16) & 255, (value >>> 8) & 255, value & 255]));
  const str = (value: string) => {
    const bytes = Buffer.from(value, 'utf8');
    u32(bytes.length);
    parts.push(bytes);
  };
  const big = (value: bigint, signed: boolean) => {
    const bytes = Buffer.alloc(8);
    if (signed) bytes.writeBigInt64BE(value);
    else bytes.writeBigUInt64BE(value);
    parts.push(bytes);
  };
  parts.push(Buffer.from([1]));
  str(record.id);
  big(record.time!.seconds, true);
  u32(record.time!.nanos);
  str(record.actor);
  str(record.action);
  str(record.resource);
  parts.push(Buffer.from([record.outcome]));
  str(record.traceId);
  const keys = Object.keys(record.details).sort((a, b) =>
    Buffer.compare(Buffer.from(a), Buffer.from(b)),
  );
  u32(keys.length);
  for (const key of keys) {
    str(key);
    str(record.details[key]);
  }
  parts.push(Buffer.from([record.serving === undefined ? 0 : 1]));
  const s = record.serving;
  if (s !== undefined) {
    [s.model, s.version, s.experiment, s.variant].forEach(str);
    big(s.latencyUs, false);
    const status = Buffer.alloc(4);
    status.writeInt32BE(s.statusCode);
    parts.push(status);
    str(s.inputSha256);
    big(s.inputBytes, false);
    str(s.unitHash);
    str(s.requestId);
  }
  return Buffer.concat(parts);
}

// All of Unicode's scalar values; ASCII and a few edge cases more often.
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom('a', 'é', '😀', '\u0000', '\uffff'),
    fc
      .integer({ min: 0, max: 0x10ffff - 0x800 })
      .map((point) => String.fromCodePoint(point < 0xd800 ? point : point + 0x800)),
    fc.integer({ min: 0x20, max: 0x7e }).map((code) => String.fromCharCode(code)),
  ),
  maxLength: 40,
});
const arbitraryRecord = fc
  .record({
    id: text,
    seconds: fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }),
    nanos: fc.integer({ min: 0, max: 999_999_999 }),
    actor: text,
    action: text,
    resource: text,
    outcome: fc.constantFrom(0, 1, 2, 3),
    traceId: text,
    details: fc.dictionary(text, text, { maxKeys: 6 }),
    serving: fc.option(
      fc.record({
        model: text,
        version: text,
        experiment: text,
        variant: text,
        latencyUs: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        statusCode: fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        inputSha256: text,
        inputBytes: fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
        unitHash: text,
        requestId: text,
      }),
      { nil: undefined },
    ),
  })
  .map(({ seconds, nanos, ...fields }) =>
    create(auditV1.RecordSchema, { ...fields, time: { seconds, nanos } }),
  );

describe('canonical record encoding, byte for byte', () => {
  it.each(KNOWN_ANSWERS.map((entry, i) => [i, entry] as const))(
    'known answer %i: bytes and leaf hash',
    (_, entry) => {
      const bytes = encodeRecord(entry.record);
      expect(bytes.toString('hex')).toBe(entry.hex);
      expect(leafHash(bytes).toString('hex')).toBe(entry.leaf);
      expect(encodeRecord(decodeRecord(bytes)).toString('hex')).toBe(entry.hex);
    },
  );

  it('matches the plain reference encoding of the layout for random records', () => {
    fc.assert(
      fc.property(arbitraryRecord, (record) => {
        const bytes = encodeRecord(record);
        expect(bytes.toString('hex')).toBe(referenceEncoding(record).toString('hex'));
        expect(encodeRecord(decodeRecord(bytes)).equals(bytes)).toBe(true);
        const target = Buffer.alloc(7 + maxEncodedRecordBytes(record), 0xee);
        const end = encodeRecordInto(record, target, 7);
        expect(target.subarray(7, end).equals(bytes)).toBe(true);
        expect(target.subarray(0, 7).equals(Buffer.alloc(7, 0xee))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses unpaired surrogates, which UTF-8 would turn into the same U+FFFD', () => {
    const withText = (text: string) =>
      create(auditV1.RecordSchema, {
        id: 'x',
        time: { seconds: 1n, nanos: 0 },
        details: { [text]: 'v' },
      });
    expect(() => encodeRecord(withText('\ud800'))).toThrow(/details/);
    expect(() => encodeRecord(withText('a\udfffb'))).toThrow(/surrogate/);
    expect(encodeRecord(withText('\ud83d\ude00')).includes(Buffer.from('f09f9880', 'hex'))).toBe(
      true,
    );
  });

  it('refuses a target without room', () => {
    const record = KNOWN_ANSWERS[0].record;
    expect(() =>
      encodeRecordInto(record, Buffer.alloc(maxEncodedRecordBytes(record) - 1), 0),
    ).toThrow(RangeError);
  });
});

describe('signed checkpoint notes', () => {
  it('signs and opens a checkpoint; any change to the note fails', () => {
    const signer = createNoteSigner(
      'verdict.local/audit',
      generateKeyPairSync('ed25519').privateKey,
    );
    const verifier = parseVerifierKey(signer.verifierKey);
    const note = signer.sign(
      formatCheckpoint({
        origin: 'verdict.local/audit',
        treeSize: 7n,
        rootHash: Buffer.alloc(32, 1),
      }),
    );
    expect(note).toMatch(
      /^verdict.local\/audit\n7\n[A-Za-z0-9+/=]{44}\n\n\u2014 verdict.local\/audit [A-Za-z0-9+/=]+\n$/,
    );
    expect(openCheckpoint(note, verifier)).toEqual({
      origin: 'verdict.local/audit',
      treeSize: 7n,
      rootHash: Buffer.alloc(32, 1),
    });
    expect(openCheckpoint(note.replace('\n7\n', '\n8\n'), verifier)).toHaveProperty('failure');
    const other = parseVerifierKey(
      createNoteSigner('verdict.local/audit', generateKeyPairSync('ed25519').privateKey)
        .verifierKey,
    );
    expect(openCheckpoint(note, other)).toHaveProperty('failure');
  });
});
