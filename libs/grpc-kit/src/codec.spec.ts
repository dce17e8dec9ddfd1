import { fromBinary } from '@bufbuild/protobuf';
import fc from 'fast-check';
import { auditV1, registryV1 } from '@verdict/proto';
import { EncodedMessage, bytesFieldMessage, messageCodec } from './codec';

const UPLOAD = registryV1.UploadVersionRequestSchema;

describe('bytesFieldMessage', () => {
  it('encodes a message that decodes to exactly the bytes written into it, at any length', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 70_000 }), (data) => {
        const { message, value } = bytesFieldMessage(UPLOAD, 'chunk', data.length);
        expect(value).toHaveLength(data.length);
        value.set(data);
        const decoded = fromBinary(UPLOAD, message.bytes);
        expect(decoded.content.case).toBe('chunk');
        expect(Buffer.from(decoded.content.value as Uint8Array).equals(Buffer.from(data))).toBe(
          true,
        );
      }),
      { numRuns: 60 },
    );
  });

  it('refuses a field that is missing or not bytes', () => {
    expect(() => bytesFieldMessage(UPLOAD, 'nope', 1)).toThrow(
      'verdict.registry.v1.UploadVersionRequest has no singular bytes field nope',
    );
    expect(() => bytesFieldMessage(UPLOAD, 'header', 1)).toThrow(/no singular bytes field header/);
  });
});

describe('messageCodec', () => {
  it('passes an encoded message of its own type through untouched', () => {
    const { message } = bytesFieldMessage(UPLOAD, 'chunk', 3);
    expect(messageCodec(UPLOAD).serialize(message as never)).toBe(message.bytes);
  });

  it('refuses an encoded message of another type', () => {
    const other = new EncodedMessage(auditV1.RecordSchema, Buffer.alloc(0));
    expect(() => messageCodec(UPLOAD).serialize(other as never)).toThrow(
      'an encoded verdict.audit.v1.Record where verdict.registry.v1.UploadVersionRequest belongs',
    );
  });
});
