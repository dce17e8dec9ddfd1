/**
 * Signed notes and checkpoints as transparency logs write them (C2SP signed-note and
 * tlog-checkpoint): the text, a blank line, then `— <key name> <base64(key id || signature)>`
 * lines. Ed25519 only; the key id is SHA-256(name || 0x0A || 0x01 || public key)[:4].
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import { InvalidArgumentError } from '@verdict/errors';
import { HASH_BYTES } from './merkle-hash';

const ED25519 = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/** A log's checkpoint, as the note body states it. */
export interface CheckpointBody {
  /** Log identity, the first line. */
  origin: string;
  treeSize: bigint;
  rootHash: Buffer;
}

/** An Ed25519 note signer with its public verifier key. */
export interface NoteSigner {
  readonly keyName: string;
  /** `<name>+<hex key id>+<base64(0x01 || public key)>`: what verifiers are given. */
  readonly verifierKey: string;
  /** Signs a note text (which must end in a newline) and returns the whole signed note. */
  sign(text: string): string;
}

/** A parsed verifier key. */
export interface NoteVerifier {
  readonly keyName: string;
  readonly keyId: Buffer;
  readonly publicKey: KeyObject;
}

/** Creates a signer from an Ed25519 private key (PEM or KeyObject). */
export function createNoteSigner(keyName: string, privateKey: KeyObject | string): NoteSigner {
  checkKeyName(keyName);
  const key = typeof privateKey === 'string' ? createPrivateKey(privateKey) : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') {
    throw new InvalidArgumentError({
      field: 'privateKey',
      expected: 'an Ed25519 key',
      received: String(key.asymmetricKeyType),
    });
  }
  const raw = rawPublicKey(createPublicKey(key));
  const id = keyIdOf(keyName, raw);
  return {
    keyName,
    verifierKey: `${keyName}+${id.toString('hex')}+${Buffer.concat([Buffer.from([ED25519]), raw]).toString('base64')}`,
    sign(text) {
      checkText(text);
      const signature = sign(null, Buffer.from(text, 'utf8'), key);
      return `${text}\n${SIGNATURE_PREFIX}${keyName} ${Buffer.concat([id, signature]).toString('base64')}\n`;
    },
  };
}

/** Parses a verifier key (`name+hexid+base64key`), checking that the id matches the key. */
export function parseVerifierKey(verifierKey: string): NoteVerifier {
  // The base64 key may itself contain '+': only the first two separate parts.
  const text = verifierKey.trim();
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  const parts =
    first < 0 || second < 0
      ? []
      : [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  const fail = (why: string): never => {
    throw new InvalidArgumentError({
      field: 'verifierKey',
      expected: `name+hexid+base64key (${why})`,
      received: verifierKey.trim(),
    });
  };
  if (parts.length !== 3) fail('three parts joined by +');
  const [keyName, hexId, encoded] = parts;
  const keyId = Buffer.from(hexId, 'hex');
  const key = Buffer.from(encoded, 'base64');
  if (keyId.length !== 4) fail('a 4-byte hex key id');
  if (key.length !== 33 || key[0] !== ED25519) fail('an Ed25519 key');
  const raw = key.subarray(1);
  if (!keyIdOf(keyName, raw).equals(keyId)) fail('a key id matching the key');
  const publicKey = createPublicKey({
    key: Buffer.concat([ED25519_SPKI_PREFIX, raw]),
    format: 'der',
    type: 'spki',
  });
  return { keyName, keyId, publicKey };
}

/**
 * Opens a signed note: returns its text when a signature line by `verifier` verifies, or a
 * reason when it does not. Lines by other keys are ignored, as the format requires.
 */
export function openNote(
  note: string,
  verifier: NoteVerifier,
): { text: string } | { failure: string } {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n'))
    return { failure: 'not a signed note: no blank line before the signatures' };
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX))
      return { failure: `malformed signature line "${line}"` };
    const [name, encoded, ...rest] = line.slice(SIGNATURE_PREFIX.length).split(' ');
    if (rest.length !== 0 || encoded === undefined)
      return { failure: `malformed signature line "${line}"` };
    const blob = Buffer.from(encoded, 'base64');
    if (name !== verifier.keyName || blob.length < 4 || !blob.subarray(0, 4).equals(verifier.keyId))
      continue;
    const ok = verify(null, Buffer.from(text, 'utf8'), verifier.publicKey, blob.subarray(4));
    return ok ? { text } : { failure: `the signature by ${name} does not verify` };
  }
  return {
    failure: `no signature by ${verifier.keyName} (key id ${verifier.keyId.toString('hex')})`,
  };
}

/** The checkpoint note text: origin, decimal size, base64 root, each on its own line. */
export function formatCheckpoint(body: CheckpointBody): string {
  return `${body.origin}\n${body.treeSize}\n${body.rootHash.toString('base64')}\n`;
}

/** Parses a checkpoint note text (extension lines after the third are allowed and ignored). */
export function parseCheckpoint(text: string): CheckpointBody | { failure: string } {
  const lines = text.split('\n');
  if (lines.length < 4)
    return { failure: 'a checkpoint needs an origin, a size and a root hash line' };
  const [origin, size, root] = lines;
  if (!/^(0|[1-9][0-9]{0,19})$/.test(size))
    return { failure: `tree size "${size}" is not a decimal number` };
  const rootHash = Buffer.from(root, 'base64');
  if (rootHash.length !== HASH_BYTES || rootHash.toString('base64') !== root) {
    return { failure: `root hash "${root}" is not ${HASH_BYTES} base64-encoded bytes` };
  }
  return { origin, treeSize: BigInt(size), rootHash };
}

/** Opens a signed checkpoint note and parses its body, or says why it cannot be trusted. */
export function openCheckpoint(
  note: string,
  verifier: NoteVerifier,
): CheckpointBody | { failure: string } {
  const opened = openNote(note, verifier);
  return 'failure' in opened ? opened : parseCheckpoint(opened.text);
}

function keyIdOf(keyName: string, rawKey: Buffer): Buffer {
  return createHash('sha256')
    .update(`${keyName}\n`, 'utf8')
    .update(Buffer.from([ED25519]))
    .update(rawKey)
    .digest()
    .subarray(0, 4);
}

function rawPublicKey(key: KeyObject): Buffer {
  const der = key.export({ format: 'der', type: 'spki' });
  return Buffer.from(der.subarray(ED25519_SPKI_PREFIX.length));
}

function checkKeyName(keyName: string): void {
  if (keyName === '' || /[\s+]/u.test(keyName)) {
    throw new InvalidArgumentError({
      field: 'keyName',
      expected: 'a non-empty name without spaces or +',
      received: keyName,
    });
  }
}

function checkText(text: string): void {
  if (!text.endsWith('\n') || text.includes('\n\n') || /[\u0000-\u0009\u000b-\u001f]/.test(text)) {
    throw new InvalidArgumentError({
      field: 'text',
      expected: 'note text ending in one newline, no blank lines or control characters',
      received: JSON.stringify(text),
    });
  }
}
