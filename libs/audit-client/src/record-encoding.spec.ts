import { generateKeyPairSync } from 'node:crypto';
import { create } from '@bufbuild/protobuf';
import { auditV1 } from '@verdict/proto';
import { decodeRecord, encodeRecord } from './record-encoding';
import { createNoteSigner, formatCheckpoint, openCheckpoint, parseVerifierKey } from './signed-note';

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

describe('signed checkpoint notes', () => {
  it('signs and opens a checkpoint; any change to the note fails', () => {
    const signer = createNoteSigner('verdict.local/audit', generateKeyPairSync('ed25519').privateKey);
    const verifier = parseVerifierKey(signer.verifierKey);
    const note = signer.sign(formatCheckpoint({ origin: 'verdict.local/audit', treeSize: 7n, rootHash: Buffer.alloc(32, 1) }));
    expect(note).toMatch(/^verdict.local\/audit\n7\n[A-Za-z0-9+/=]{44}\n\n\u2014 verdict.local\/audit [A-Za-z0-9+/=]+\n$/);
    expect(openCheckpoint(note, verifier)).toEqual({ origin: 'verdict.local/audit', treeSize: 7n, rootHash: Buffer.alloc(32, 1) });
    expect(openCheckpoint(note.replace('\n7\n', '\n8\n'), verifier)).toHaveProperty('failure');
    const other = parseVerifierKey(createNoteSigner('verdict.local/audit', generateKeyPairSync('ed25519').privateKey).verifierKey);
    expect(openCheckpoint(note, other)).toHaveProperty('failure');
  });
});
